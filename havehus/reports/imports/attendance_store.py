"""Storing a checked attendance file: historic activities (archived), one imported session per
activity and day, pseudonymous people, their visits and the anonymous head counts. Running it
again with the same rows changes nothing."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from havehus.models import Activity, Department, Participant, Session, Tally, Visit
from havehus.orm import OrmSession
from havehus.people.audit import Actor, record
from havehus.reports.imports.attendance_rows import (
    ActivityRef,
    Count,
    Named,
    NewActivity,
    SessionIndex,
    Where,
)
from havehus.reports.imports.reading import chunks
from havehus.timeutil import local_to_utc

#: Imported days become sessions at this local time, an hour long: a neutral time of day that
#: no summer-time change or midnight moves onto another day.
HISTORIC_START = time(12, 0)
HISTORIC_MINUTES = 60


def _uid(activity_id: int, day: date) -> str:
    return f"import-{activity_id}-{day:%Y%m%d}@havehus"


def store_attendance(
    orm: OrmSession,
    named: Sequence[Named],
    counts: Sequence[Count],
    new_activities: Sequence[NewActivity],
    index: SessionIndex,
    now: datetime,
    actor: Actor,
    tz: ZoneInfo,
) -> dict[str, int]:
    changes = dict.fromkeys(
        (
            "activities_created",
            "sessions_created",
            "people_created",
            "visits_added",
            "visits_known",
            "counts_set",
        ),
        0,
    )
    made = _make_activities(orm, new_activities, now)
    changes["activities_created"] = len(made)

    def activity_id(ref: ActivityRef) -> int:
        return ref.id if isinstance(ref, Activity) else made[id(ref)].id

    sessions: dict[tuple[int, date], Session] = {}
    rows: list[Named | Count] = [*named, *counts]
    for item in rows:
        key = (activity_id(item.activity), item.day)
        if key in sessions:
            continue
        found = index.imported.get(_uid(*key))
        if found is None:
            starts = local_to_utc(item.day, HISTORIC_START, tz)
            found = Session(
                activity_id=key[0],
                uid=_uid(*key),
                starts_at=starts,
                ends_at=starts + timedelta(minutes=HISTORIC_MINUTES),
                status="scheduled",
                imported=True,
                note={},
                created_at=now,
                updated_at=now,
            )
            orm.add(found)
            changes["sessions_created"] += 1
        sessions[key] = found
    orm.flush()
    people, changes["people_created"] = _people(orm, named, sessions, activity_id, now)
    wanted = {(sessions[(activity_id(i.activity), i.day)].id, people[i.person].id) for i in named}
    present: set[tuple[int, int]] = set()
    imported_ids = sorted({session.id for session in index.imported.values()})
    for chunk in chunks(imported_ids):
        present.update(
            (session_id, participant_id)
            for session_id, participant_id in orm.execute(
                select(Visit.session_id, Visit.participant_id).where(Visit.session_id.in_(chunk))
            )
        )
    starts_of = {session.id: session.starts_at for session in sessions.values()}
    new_visits = [
        {
            "session_id": session_id,
            "participant_id": participant_id,
            "source": "import",
            "recorded_by_id": actor.user_id,
            "at": starts_of[session_id],
        }
        for session_id, participant_id in sorted(wanted - present)
    ]
    changes["visits_known"] = len(wanted & present)
    changes["visits_added"] = len(new_visits)
    for chunk in chunks(new_visits):
        orm.execute(insert(Visit), list(chunk))
    changes["counts_set"] = _set_counts(orm, counts, sessions, activity_id, now, actor)
    record(
        orm, "import.attendance", now, actor, details={"rows": len(named) + len(counts), **changes}
    )
    orm.flush()
    return changes


def _make_activities(
    orm: OrmSession, new: Sequence[NewActivity], now: datetime
) -> dict[int, Activity]:
    """The file's unknown activities, made as archived history: never in the program."""
    made: dict[int, Activity] = {}
    for item in new:
        activity = Activity(
            slug=item.slug,
            title={"da": item.title},
            summary={},
            category="other",
            mode="drop_in",
            capacity=None,
            visibility="staff",
            rrule=None,
            starts_on=item.first_day,
            start_time=HISTORIC_START,
            duration_minutes=HISTORIC_MINUTES,
            archived_at=now,
            created_at=now,
            updated_at=now,
        )
        orm.add(activity)
        made[id(item)] = activity
    orm.flush()
    return made


def _people(
    orm: OrmSession,
    named: Sequence[Named],
    sessions: dict[tuple[int, date], Session],
    activity_id: Callable[[ActivityRef], int],
    now: datetime,
) -> tuple[dict[str, Participant], int]:
    """The pseudonymous participant of each imported person, found by the keyed hash."""
    homes: dict[str, Where] = {}
    last_seen: dict[str, datetime] = {}
    for item in named:
        if item.where is not None:
            homes[item.person] = item.where
        starts = sessions[(activity_id(item.activity), item.day)].starts_at
        last_seen[item.person] = max(last_seen.get(item.person, starts), starts)
    keys = list(last_seen)  # in the order of the file
    people: dict[str, Participant] = {}
    for chunk in chunks(keys):
        for person in orm.scalars(select(Participant).where(Participant.import_key.in_(chunk))):
            assert person.import_key is not None
            people[person.import_key] = person
    created = 0
    for key in keys:
        found = people.get(key)
        home = homes.get(key)
        if found is not None:
            person = found
        else:
            public_id = secrets.token_hex(16)
            person = Participant(
                public_id=public_id,
                display_name=f"Imported {public_id[:6]}",
                language="da",
                channel="other",
                created_at=now,
                import_key=key,
            )
            orm.add(person)
            people[key] = person
            created += 1
        if home is not None and person.department_id is None and not person.outside_area:
            if isinstance(home, Department):
                person.department_id = home.id
            else:
                person.outside_area = True
        if person.last_seen_at is None or person.last_seen_at < last_seen[key]:
            person.last_seen_at = last_seen[key]
    orm.flush()
    return people, created


def _set_counts(
    orm: OrmSession,
    counts: Sequence[Count],
    sessions: dict[tuple[int, date], Session],
    activity_id: Callable[[ActivityRef], int],
    now: datetime,
    actor: Actor,
) -> int:
    """Each imported day's head count is the sum of its anonymous rows in the file."""
    totals: dict[int, int] = defaultdict(int)
    for item in counts:
        totals[sessions[(activity_id(item.activity), item.day)].id] += item.count
    existing: dict[int, Tally] = {}
    for chunk in chunks(sorted(totals)):
        existing.update(
            (row.session_id, row)
            for row in orm.scalars(
                select(Tally).where(Tally.session_id.in_(chunk), Tally.kind == "adults")
            )
        )
    changed = 0
    for session_id, total in totals.items():
        if (tally := existing.get(session_id)) is None:
            orm.add(
                Tally(
                    session_id=session_id,
                    kind="adults",
                    count=total,
                    recorded_by_id=actor.user_id,
                    updated_at=now,
                )
            )
            changed += 1
        elif tally.count != total:
            tally.count, tally.recorded_by_id, tally.updated_at = total, actor.user_id, now
            changed += 1
    return changed
