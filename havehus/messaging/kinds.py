"""What messaging knows of each kind of text, told by the domain that words it.

Messaging queues, vets, sends and records texts of any kind, but knows no booking, session
rule or wording. A domain registers, for a kind it owns:
- a send-time check: why a text queued hours ago is no longer wanted (None: send it);
- whether the kind waits out quiet hours when the worker is late;
- sample wordings, for the staff preview of every kind in every language.
Registration happens once, from the domain's init_app, when the app is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from havehus.config import Settings
from havehus.models import OutboundMessage, Session
from havehus.orm import OrmSession


@dataclass(frozen=True)
class Unwanted:
    """Why a queued text is not sent after all (its `last_error`)."""

    reason: str
    #: Free the text's dedupe key, so that its domain queues it afresh (a reminder of a
    #: session that moved is worded and timed anew for the new time).
    queue_again: bool = False


#: Why a text queued earlier must not be sent now; None when it still should be.
SendCheck = Callable[[OrmSession, OutboundMessage, datetime], "Unwanted | None"]
#: A kind's wording about a (made-up, unsaved) session, in a language, for the staff preview.
SampleWording = Callable[[Session, str, Settings], str]


@dataclass(frozen=True)
class Sample:
    kind: str
    variant: str
    wording: SampleWording


_CHECKS: dict[str, SendCheck] = {}
_QUIET: set[str] = set()
_SAMPLES: dict[tuple[str, str], Sample] = {}


def register(
    kind: str,
    *,
    check: SendCheck | None = None,
    waits_for_quiet_hours: bool = False,
    samples: dict[str, SampleWording] | None = None,
) -> None:
    """Tell messaging about a kind of text; registering again replaces what was said."""
    if check is not None:
        _CHECKS[kind] = check
    if waits_for_quiet_hours:
        _QUIET.add(kind)
    for variant, wording in (samples or {}).items():
        _SAMPLES[(kind, variant)] = Sample(kind, variant, wording)


def still_wanted_check(kind: str) -> SendCheck | None:
    return _CHECKS.get(kind)


def waits_for_quiet_hours(kind: str) -> bool:
    return kind in _QUIET


def samples() -> list[Sample]:
    """Every registered sample wording, in the order they were registered."""
    return list(_SAMPLES.values())
