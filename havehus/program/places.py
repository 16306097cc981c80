"""The house's locations and rooms, as the planner's forms list them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from havehus.errors import HavehusError
from havehus.models import Location, Room
from havehus.orm import OrmSession


def locations(orm: OrmSession) -> list[Location]:
    """Every location, by name."""
    return list(orm.scalars(select(Location).order_by(Location.name)))


def rooms(orm: OrmSession) -> list[Room]:
    """Every room, by location name and then room name."""
    return list(orm.scalars(select(Room).join(Room.location).order_by(Location.name, Room.name)))


def find_place(orm: OrmSession, text: str) -> tuple[int | None, int | None]:
    """(location id, room id) for a free-text place: a room's or a location's name or address.

    HavehusError (`invalid`, on the field `location`) names the places there are.
    """
    wanted = text.strip().lower()
    room = orm.scalar(select(Room).where(func.lower(Room.name) == wanted))
    if room is not None:
        return room.location_id, room.id
    location = orm.scalar(
        select(Location).where(
            or_(
                func.lower(Location.name) == wanted,
                func.lower(Location.slug) == wanted,
                func.lower(Location.address) == wanted,
            )
        )
    )
    if location is None:
        names = ", ".join(place.name for place in locations(orm))
        message = _("Unknown place. Use a room or a location: %(names)s.", names=names)
        raise HavehusError(message, "invalid", fields={"location": message})
    return location.id, None
