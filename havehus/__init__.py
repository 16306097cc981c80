"""havehus: the activity program of a community house."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request

from havehus import (
    api,
    attendance,
    core,
    database,
    errors,
    feeds,
    i18n,
    input_guard,
    logs,
    maintenance,
    messaging,
    operations,
    people,
    program,
    reports,
    signup,
    translations,
)
from havehus.config import (
    Settings,
    SettingsConfig,
    flask_config,
    install_settings,
    load_settings,
    settings_of,
)
from havehus.extensions import babel, csrf, db, login, migrate
from havehus.paths import LOCALES_DIR, MIGRATIONS_DIR, STATIC_DIR, TEMPLATES_DIR
from havehus.people import access
from havehus.security import private_answer
from havehus.timeutil import Clock, install_clock, system_clock

__all__ = ["create_app"]


class HavehusApp(Flask):
    """Flask, whose config holds Flask's own keys only (havehus's settings are a `Settings`),
    and whose hooks' sync-or-async check is made once rather than on every request."""

    config_class = SettingsConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except (KeyError, TypeError):  # TypeError: an unhashable callable, not kept
            synced = super().ensure_sync(func)
            with contextlib.suppress(TypeError):
                self._synced[func] = synced
            return synced


#: Where the app keeps its `Replay` (tests look at it).
REPLAY_KEY = "havehus.replay"

#: Only our own origin: no inline script or style anywhere, so whole pages can be cached.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI and translations.

    `clock` replaces the system clock as the app's "now" (the tests pin it; production never).
    """
    settings = load_settings(config)
    instance_path = os.environ.get("HAVEHUS_INSTANCE_PATH") or str(Path.cwd() / "instance")
    app = HavehusApp(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
        instance_path=instance_path,
        instance_relative_config=False,
    )
    app.config.from_mapping(flask_config(settings))
    install_settings(app, Settings.from_mapping({**settings, "instance_path": instance_path}))
    install_clock(app, clock or system_clock)
    # The request id before anything may refuse the request, so every answer carries one.
    logs.init_app(app)
    # Then maintenance: while it is on, nothing else runs (the database may be being replaced).
    maintenance.init_app(app)
    # First: its converter must be in place before any blueprint adds a rule, and its check
    # runs before every other one (CSRF included), so hostile input gets its own clear answer.
    input_guard.init_app(app)

    from havehus import models  # noqa: F401  (registers every table with the metadata)

    database.install_sqlite_settings()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(LOCALES_DIR),
        default_domain="messages",
    )
    csrf.init_app(app)
    login.init_app(app)
    access.init_app(app)
    i18n.init_app(app)
    errors.register(app)
    _register_request_hooks(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from havehus import cli

    cli.register(app)
    _install_replay(app)
    return app


def _install_replay(app: Flask) -> None:
    """Outermost: what every anonymous visitor gets alike is answered again without a Flask
    request while it still holds (`havehus.core.replay`)."""
    from havehus.core.replay import Replay

    instance_path = app.instance_path
    replay = Replay(
        app.wsgi_app,
        allowed_cookies=frozenset({i18n.LANG_COOKIE}),
        paused=lambda: maintenance.is_on(instance_path),
        request_id=logs.request_id_from_header,
    )
    app.extensions[REPLAY_KEY] = replay
    app.wsgi_app = replay  # type: ignore[method-assign]


def _register_request_hooks(app: Flask) -> None:
    def _choose_transaction_mode() -> None:
        # Safe methods only read: let them run side by side on SQLite. So does the reading
        # part of a view marked `reads_first`, until it begins writing.
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        g.tx_mode_token = database.set_transaction_mode(
            request.method in ("GET", "HEAD"), reads_first=database.is_read_first(view)
        )

    # First of all hooks: one that writes (ending a timed-out staff session) must do so in
    # the mode of the request, not in whatever the process began with.
    app.before_request_funcs.setdefault(None, []).insert(0, _choose_transaction_mode)

    @app.teardown_request
    def _reset_transaction_mode(_exc: BaseException | None) -> None:
        token = g.pop("tx_mode_token", None)
        if token is not None:
            database.reset_transaction_mode(token)

    # Set here only, so added rather than looked up first (a miss costs an exception each).
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if settings_of(app).production:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.extend(headers)
        if private_answer(request.path, "HTTP_AUTHORIZATION" in request.environ):
            # Someone's own data: no browser history, back button or proxy keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response


def _register_blueprints(app: Flask) -> None:
    """Each package registers its own pages (and tells messaging what it needs to know)."""
    from havehus import dashboard  # the staff overview composes every domain: last

    packages = (
        core,
        program,
        feeds,
        signup,
        attendance,
        people,
        messaging,
        api,
        reports,
        operations,
        translations,
    )
    for package in packages:
        package.init_app(app)
    app.register_blueprint(dashboard.bp)


def _register_template_helpers(app: Flask) -> None:
    from havehus import templating

    templating.init_app(app)
