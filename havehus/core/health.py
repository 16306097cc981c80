"""Whether the web's own database answers (for load balancers and monitors)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("havehus.health")


@dataclass(frozen=True)
class DatabaseAnswers:
    """A replay condition (`havehus.core.replay`): the health check's "ok" holds while the
    database answers."""

    engine: Engine

    def holds(self) -> bool:
        return database_answers(self.engine)


def database_answers(engine: Engine) -> bool:
    """True when the database answers a trivial query; a failure is logged.

    On a bare connection, not an ORM session: a monitor's poll costs no more than it must.
    """
    try:
        # The driver's own connection from the pool: no transaction to begin and end.
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        finally:
            connection.close()
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        log.warning("Health check: database unreachable: %s", exc)
        return False
    return True
