"""Flask extensions, created once and bound to the app in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from havehus.orm import Base

db = SQLAlchemy(model_class=Base)

# The class every model derives from. At runtime it is db.Model: Flask-SQLAlchemy's copy of
# Base with binds and a `query` property added. mypy cannot take a base class from an
# attribute (db.Model), so to the type checker models derive from Base itself, whose columns,
# metadata and SQLAlchemy 2 API they share; `Model.query` is thereby left out, as we want.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login = LoginManager()
