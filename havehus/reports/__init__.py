"""Reports: the data strategy's indicators, computed from visits, counts and bookings, and
exported with small groups hidden (`havehus report`, /staff/reports)."""
