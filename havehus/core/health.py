"""Whether the web's own database answers (for load balancers and monitors)."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from havehus.orm import OrmSession

log = logging.getLogger("havehus.health")


def database_answers(orm: OrmSession) -> bool:
    """True when the database answers a trivial query; a failure is logged and rolled back."""
    try:
        orm.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        orm.rollback()
        log.warning("Health check: database unreachable: %s", exc)
        return False
    return True
