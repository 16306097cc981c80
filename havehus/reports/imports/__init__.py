"""History in: the lists a house kept before, brought into the records the reports count.

`import_departments` reads residents per housing department and year (the denominators of
participation rates); `import_attendance` reads who came to what on which day. Both take the
file's bytes (CLI and upload alike), check every row before they change anything, and return
each bad row with its line number (the header is line 1): a file with any bad row imports
nothing. Both are idempotent — the same file again changes nothing. The rules are written out
for managers in docs/indicators.md ("Imported history").

By concern: reading.py (the file, its rows and cells, the result), departments.py,
attendance.py (checking the rows), attendance_rows.py (what a row names),
attendance_store.py (writing the checked rows).
"""

from havehus.reports.imports.attendance import ATTENDANCE_HEADER, PERSON_PURPOSE, import_attendance
from havehus.reports.imports.departments import DEPARTMENT_HEADER, import_departments
from havehus.reports.imports.reading import MAX_BYTES, ImportResult, RowError, check_may_import

__all__ = [
    "ATTENDANCE_HEADER",
    "DEPARTMENT_HEADER",
    "MAX_BYTES",
    "PERSON_PURPOSE",
    "ImportResult",
    "RowError",
    "check_may_import",
    "import_attendance",
    "import_departments",
]
