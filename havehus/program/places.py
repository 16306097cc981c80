"""The house's locations and rooms, as the planner's forms list them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from havehus.models import Location, Room


def locations(orm: OrmSession) -> list[Location]:
    """Every location, by name."""
    return list(orm.scalars(select(Location).order_by(Location.name)))


def rooms(orm: OrmSession) -> list[Room]:
    """Every room, by location name and then room name."""
    return list(orm.scalars(select(Room).join(Room.location).order_by(Location.name, Room.name)))
