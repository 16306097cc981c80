"""The declarative base, naming convention and column types shared by all models, and the
session type every service takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from sqlalchemy import DateTime, Dialect, MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: What a service's ``orm`` parameter accepts: a plain ``Session`` (scripts, tests, a worker's
#: own session) or Flask-SQLAlchemy's ``db.session``, a ``scoped_session`` that forwards every
#: call to the session of the current app context. scoped_session declares the same methods
#: with the same types, so a union needs no casts; its parameter is ``Any`` because
#: scoped_session is invariant in its session class (Flask-SQLAlchemy's own subclass) and no
#: service calls the registry itself (``orm()``), the one place that class shows through.
OrmSession: TypeAlias = Session | scoped_session[Any]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # SQLAlchemy types __table__ as any FromClause, as a class may map a join or a select;
        # every model here maps one Table, whose .c and .update() the Core statements use.
        __table__: ClassVar[Table]


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC, so SQLite and PostgreSQL behave alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime; naive times are ambiguous")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
