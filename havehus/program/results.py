"""What a planner change reports: its summary, its warnings, and the error for fields to fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from havehus.errors import HavehusError
from havehus.models import Session, StaffUser


@dataclass(frozen=True)
class Conflict:
    """A warning: two sessions overlap in one room, or one host is in two places at once."""

    kind: str  # "room" | "host"
    first: Session
    second: Session
    host: StaffUser | None = None


@dataclass
class ChangeSummary:
    """What a change did, for the page or JSON that reports it."""

    moved: list[Session] = field(default_factory=list)
    cancelled: list[Session] = field(default_factory=list)
    created: int = 0
    deleted: int = 0
    notices: int = 0
    #: Booked people whose number said STOP: no text reaches them, staff must tell them.
    unreached: int = 0
    warnings: list[Conflict] = field(default_factory=list)


def invalid(fields_: dict[str, str]) -> HavehusError:
    """The error for a change refused because of these fields (name → what to correct)."""
    return HavehusError(_("Please correct the marked fields."), "invalid", fields=fields_)
