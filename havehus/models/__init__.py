"""All models, importable from one place: ``from havehus.models import Activity``."""

from havehus.models.access import (
    ApiToken,
    FeedToken,
    KioskDevice,
    LoginAttempt,
    RecoveryCode,
    StaffInvite,
)
from havehus.models.attendance import Tally
from havehus.models.messaging import (
    Broadcast,
    InboundMessage,
    OptOut,
    OutboundMessage,
    ReminderRequest,
)
from havehus.models.people import (
    AuditEvent,
    Consent,
    Department,
    DepartmentPopulation,
    Participant,
    StaffUser,
)
from havehus.models.program import (
    Activity,
    Closure,
    Location,
    ProgramVersion,
    Room,
    Session,
    activity_host,
    session_host,
)
from havehus.models.signup import Booking, SignupChallenge

__all__ = [
    "Activity",
    "ApiToken",
    "AuditEvent",
    "Booking",
    "Broadcast",
    "Closure",
    "Consent",
    "Department",
    "DepartmentPopulation",
    "FeedToken",
    "InboundMessage",
    "KioskDevice",
    "LoginAttempt",
    "Location",
    "OptOut",
    "OutboundMessage",
    "Participant",
    "RecoveryCode",
    "ReminderRequest",
    "ProgramVersion",
    "Room",
    "Session",
    "SignupChallenge",
    "StaffInvite",
    "StaffUser",
    "Tally",
    "activity_host",
    "session_host",
]
