"""JSON shapes of the API, as documented in ARCHITECTURE.md and openapi.json."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from havehus.i18n import pick
from havehus.models import Session


def session_json(session: Session, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    """A session with local-offset datetimes, e.g. "2026-04-01T14:00:00+02:00"."""
    activity = session.activity
    return {
        "id": session.id,
        "activity": activity.slug,
        "title": pick(activity.title, lang),
        "category": activity.category,
        "start": session.starts_at.astimezone(tz).isoformat(),
        "end": session.ends_at.astimezone(tz).isoformat(),
        "status": session.status,
        "mode": activity.mode,
        "capacity": session.effective_capacity,
        "seats_left": session.seats_left,
        "uid": session.uid,
    }
