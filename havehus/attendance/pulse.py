"""The wellbeing pulse: "How are you today?" — one tap on five faces, counted per session.

Optional per activity (`Activity.wellbeing_pulse`). Asked after a check-in (the QR page, the
kiosk) or on the host's phone. Never linked to a person: the counts have no names and no
times, and the tap that added one (saved once under its key, like every tap) keeps no face.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from havehus.attendance import services
from havehus.dbutil import execute_rowcount, insert_ignoring_conflicts
from havehus.errors import HavehusError
from havehus.models import AttendanceTap, Pulse, Session
from havehus.models.attendance import PULSE_FACES
from havehus.orm import OrmSession
from havehus.people import audit
from havehus.people.audit import Actor

#: Each face's words, read out by screen readers and printed under the face.
FACE_LABELS = {
    1: _l("Very bad"),
    2: _l("Bad"),
    3: _l("So-so"),
    4: _l("Good"),
    5: _l("Very good"),
}


def offers_pulse(session: Session) -> bool:
    return bool(session.activity.wellbeing_pulse)


def give_pulse(
    orm: OrmSession,
    session: Session,
    face: int,
    key: str,
    now: datetime,
    actor: Actor | None,
) -> bool:
    """+1 for one face, once per key. False when the key was used before.

    `actor` None is a resident's phone or the kiosk (their check-in gave the key); a host's
    phone passes the host, whose taps follow host mode's rules.
    """
    if face not in PULSE_FACES:
        raise HavehusError(
            _("This tap could not be read. Reload the page and tap again."), "invalid"
        )
    if not offers_pulse(session):
        raise HavehusError(_("This activity does not ask how you are."), "no_pulse")
    if actor is not None:
        services.check_may_record(orm, session, now, actor)
    tapper = actor or audit.PUBLIC
    if not services.claim_tap(orm, session, key, "pulse", "", now, tapper):
        return False
    insert_ignoring_conflicts(orm, Pulse, [{"session_id": session.id, "face": face, "count": 0}])
    execute_rowcount(
        orm,
        update(Pulse)
        .where(Pulse.session_id == session.id, Pulse.face == face)
        .values(count=Pulse.count + 1),
    )
    return True


def pulse_given(orm: OrmSession, key: str) -> bool:
    """Whether a face was given under this key already."""
    return orm.get(AttendanceTap, key) is not None


def pulse_counts(orm: OrmSession, session_id: int) -> dict[int, int]:
    """How many chose each face (every face present, 0 when none)."""
    found = dict(
        orm.execute(select(Pulse.face, Pulse.count).where(Pulse.session_id == session_id)).all()
    )
    return {face: int(found.get(face, 0)) for face in PULSE_FACES}
