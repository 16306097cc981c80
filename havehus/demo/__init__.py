"""The demo house: five named activities and more, people, and 12 weeks of history.

Idempotent: the first run creates everything (fixed random seed, so the history is the same
every time); later runs only extend the horizon. All people are fictitious.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from havehus.config import Settings
from havehus.demo.activities import activity_specs
from havehus.demo.history import add_history
from havehus.demo.people import (
    HISTORY_WEEKS,
    create_departments,
    create_participants,
    create_places,
)
from havehus.models import Activity, Closure, Location
from havehus.orm import OrmSession
from havehus.people.services import create_staff_user
from havehus.program.services import bump_program_version, expand_horizon
from havehus.timeutil import week_monday

DEMO_MARKER_SLUG = "havehuset"


@dataclass
class DemoResult:
    created: bool
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    sessions_created: int = 0


def seed_demo(orm: OrmSession, now: datetime, tz: ZoneInfo, settings: Settings) -> DemoResult:
    """Create the demo house once; afterwards only extend the horizon."""
    weeks = settings.horizon_weeks
    if orm.scalar(select(Location.id).where(Location.slug == DEMO_MARKER_SLUG)):
        return DemoResult(created=False, sessions_created=expand_horizon(orm, weeks, now, tz))

    rng = random.Random(2026)
    today = now.astimezone(tz).date()
    first_monday: date = week_monday(today) - timedelta(weeks=HISTORY_WEEKS)

    locations, rooms = create_places(orm)
    departments = create_departments(orm, today.year)
    # The house closes between Christmas and New Year, as Danish community houses do.
    horizon_end = today + timedelta(weeks=weeks)
    for year in sorted({first_monday.year, horizon_end.year}):
        orm.add(
            Closure(
                starts_on=date(year, 12, 24),
                ends_on=date(year + 1, 1, 1),
                reason={"da": "Juleferie", "en": "Christmas holidays"},
                created_at=now,
            )
        )
    result = DemoResult(created=True)
    staff = []
    for email, role, name in (
        ("manager@havehus.example", "manager", "Mette"),
        ("host@havehus.example", "host", "Yusuf"),
    ):
        password = secrets.token_urlsafe(12)
        staff.append(create_staff_user(orm, email, role, password, now, name=name))
        result.credentials.append((email, role, password))
    manager, host = staff

    for spec in activity_specs(locations, rooms):
        activity = Activity(
            slug=spec["slug"],
            title=spec["title"],
            summary=spec["summary"],
            neutral_title=spec.get("neutral_title", {}),
            category=spec["category"],
            activity_type=spec.get("activity_type", "network"),
            location=spec["location"],
            room=spec.get("room"),
            price_text=spec.get("price_text", {}),
            mode=spec["mode"],
            capacity=spec.get("capacity"),
            waitlist_enabled=spec.get("waitlist_enabled", True),
            visibility=spec.get("visibility", "public"),
            sensitive=spec.get("sensitive", False),
            food_served=spec.get("food_served", False),
            childcare=spec.get("childcare", False),
            step_free=spec.get("step_free", True),
            wellbeing_pulse=spec.get("wellbeing_pulse", False),
            spoken_languages=spec.get("spoken_languages", []),
            interpreter_languages=spec.get("interpreter_languages", []),
            rrule=spec["rrule"],
            starts_on=first_monday,
            start_time=spec["start"],
            duration_minutes=spec["minutes"],
            created_at=now,
            updated_at=now,
        )
        if spec["category"] in ("garden", "walking"):
            activity.hosts.append(host)
        orm.add(activity)
    orm.flush()

    result.sessions_created = expand_horizon(orm, weeks, now, tz)
    people = create_participants(orm, rng, departments, now)
    orm.flush()
    add_history(orm, rng, people, host.id, manager.id, now, tz)
    bump_program_version(orm, now)
    return result
