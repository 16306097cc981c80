"""The planner's pages (/staff/...): week grid, activities, sessions, closures, copying.

Managers and administrators change the program; hosts see the week and their shifts.
Each view parses the form, calls one planner service, then redirects or re-renders the form
with the errors next to the fields. Nothing is committed unless the service succeeded.

The pages live in one module per subject (week, activities, sessions, closures, copy_week),
each adding its routes to this one blueprint; havehus._register_blueprints imports them.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("planner", __name__, url_prefix="/staff")
