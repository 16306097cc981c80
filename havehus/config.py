"""Typed settings read from config/*.toml and HAVEHUS_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask.config import Config

from havehus.paths import CONFIG_DIR

ENV_PREFIX = "HAVEHUS_"
DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
#: How long each kind of record is kept (havehus.people.retention.Periods reads them).
RETENTION_SETTINGS = (
    "retention_months",
    "sensitive_retention_days",
    "text_retention_days",
    "signup_code_retention_days",
    "login_attempt_retention_days",
    "staff_session_retention_days",
    "audit_retention_months",
)
ENVIRONMENTS = ("development", "production")
SMS_BACKENDS = ("console", "twilio")


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message tells the operator what to fix."""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"Configuration file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Configuration file {path} is not valid TOML: {exc}") from None


def _coerce(key: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of the key's default value."""
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{ENV_PREFIX}{key.upper()} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key.upper()} must be a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{key.upper()} must be a number") from None
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge default.toml, the HAVEHUS_CONFIG file, HAVEHUS_* variables and overrides."""
    environ = os.environ if environ is None else environ
    settings = _read_toml(CONFIG_DIR / "default.toml")
    defaults = dict(settings)

    config_file = (overrides or {}).get("config_file") or environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file:
        settings.update(_read_toml(Path(config_file)))

    for key, default in defaults.items():
        raw = environ.get(f"{ENV_PREFIX}{key.upper()}")
        if raw is not None:
            settings[key] = _coerce(key, raw, default)

    for key, value in (overrides or {}).items():
        settings[key.lower()] = value
    settings.pop("config_file", None)
    validate(settings)
    return settings


def validate(settings: Mapping[str, Any]) -> None:
    """Refuse settings that would run the house unsafely or not at all."""
    if settings["env"] not in ENVIRONMENTS:
        raise ConfigError(f"HAVEHUS_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if settings["sms_backend"] not in SMS_BACKENDS:
        raise ConfigError(f"HAVEHUS_SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}")
    for key in ("quiet_start", "quiet_end", "backup_time"):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(settings[key])):
            raise ConfigError(f"HAVEHUS_{key.upper()} must be a time like 21:00")
    if settings["worker_silent_after_seconds"] < 1:
        raise ConfigError("HAVEHUS_WORKER_SILENT_AFTER_SECONDS must be at least 1")
    for key in RETENTION_SETTINGS:
        if not isinstance(settings[key], int) or isinstance(settings[key], bool):
            raise ConfigError(f"HAVEHUS_{key.upper()} must be a whole number")
        if settings[key] < 1:
            raise ConfigError(f"HAVEHUS_{key.upper()} must be at least 1")
    if settings["backup_keep"] < 1:
        raise ConfigError("HAVEHUS_BACKUP_KEEP must be at least 1")
    if not settings["languages"]:
        raise ConfigError("At least one language must be configured")
    if not all(re.fullmatch(r"[A-Z]{2}", str(c)) for c in settings["sms_allowed_countries"]):
        raise ConfigError("HAVEHUS_SMS_ALLOWED_COUNTRIES must be region codes like DK,SE")
    for key in ("sms_daily_limit_per_number", "sms_monthly_segments", "sms_price_per_segment"):
        if settings[key] < 0:
            raise ConfigError(f"HAVEHUS_{key.upper()} must not be negative")
    if settings["env"] == "production":
        if settings["opt_out_key"] and len(settings["opt_out_key"]) < 32:
            raise ConfigError("HAVEHUS_OPT_OUT_KEY must be at least 32 characters (or empty)")
        secret = settings["secret_key"]
        if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
            raise ConfigError(
                "Refusing to start in production with the default or a short secret key. "
                "Set HAVEHUS_SECRET_KEY to a random value of at least 32 characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if settings["sms_backend"] == "console":
            raise ConfigError(
                "Refusing to start in production with the console SMS backend: it sends no "
                "texts and writes every phone number and booking link to the log. Set "
                "HAVEHUS_SMS_BACKEND=twilio with HAVEHUS_TWILIO_ACCOUNT_SID, "
                "HAVEHUS_TWILIO_AUTH_TOKEN and HAVEHUS_TWILIO_FROM (see docs/operations.md)."
            )


def flask_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Translate havehus settings into the keys Flask and its extensions read."""
    production = settings["env"] == "production"
    config: dict[str, Any] = dict(
        SECRET_KEY=settings["secret_key"],
        SQLALCHEMY_DATABASE_URI=settings["database_url"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SECURE=production,
        PREFERRED_URL_SCHEME="https" if production else "http",
        BABEL_DEFAULT_LOCALE=settings["languages"][0],
        BABEL_DEFAULT_TIMEZONE=settings["timezone"],
        TESTING=bool(settings.get("testing", False)),
    )
    return config


@dataclass(frozen=True)
class Settings:
    """The house's settings, typed and read once (`load_settings`), then passed to services.

    The web layer, the CLI and the worker read them with `current_settings()` (or
    `settings_of(app)`) and hand a service the settings, or just the values it needs; no
    service reads the app. Each field is a key of config/default.toml (HAVEHUS_<KEY>).
    """

    env: str
    database_url: str
    secret_key: str
    public_url: str
    site_name: str
    sms_backend: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    twilio_api_base: str
    twilio_messaging_service_sid: str
    twilio_timeout: float
    sms_allowed_countries: tuple[str, ...]
    sms_daily_limit_per_number: int
    sms_monthly_segments: int
    sms_price_per_segment: float
    quiet_start: str
    quiet_end: str
    timezone: str
    languages: tuple[str, ...]
    horizon_weeks: int
    outbox_lease_seconds: int
    trusted_proxies: int
    signup_closes_minutes: int
    phone_regions: tuple[str, ...]
    signup_code_minutes: int
    signup_codes_per_phone_hour: int
    signup_codes_per_client_hour: int
    retention_months: int
    sensitive_retention_days: int
    text_retention_days: int
    signup_code_retention_days: int
    login_attempt_retention_days: int
    staff_session_retention_days: int
    audit_retention_months: int
    api_token_requests_per_minute: int
    api_public_requests_per_minute: int
    feed_version_seconds: float
    opt_out_log: str
    #: The key opt-outs are hashed with (empty: the secret key).
    opt_out_key: str
    backup_dir: str
    backup_time: str
    backup_keep: int
    pg_bindir: str
    worker_silent_after_seconds: int = 300
    testing: bool = False
    #: The instance folder (HAVEHUS_INSTANCE_PATH, else ./instance): relative paths live there.
    instance_path: str = "instance"

    def __post_init__(self) -> None:
        # Lists (from TOML, the environment or a test) become tuples: the settings never change.
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, list):
                object.__setattr__(self, field.name, tuple(value))

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> Settings:
        """The typed settings of `load_settings`' result (keys it does not know are ignored)."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in settings.items() if key in names})

    @property
    def opt_out_secret(self) -> str:
        """The key opted-out numbers are hashed with: `opt_out_key`, else the secret key."""
        return self.opt_out_key or self.secret_key

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def tz(self) -> ZoneInfo:
        """The house's time zone (Europe/Copenhagen unless configured otherwise)."""
        return ZoneInfo(self.timezone)

    @property
    def public_base(self) -> str:
        """The public URL without a trailing slash: a path is appended to it."""
        return self.public_url.rstrip("/")

    def public_link(self, path: str) -> str:
        """An absolute address the world can open (texts, feeds, QR codes); `path` starts with /."""
        return self.public_base + path


#: Where the app keeps its one `Settings` (`app.extensions[SETTINGS_KEY]`).
SETTINGS_KEY = "havehus.settings"


class SettingsConfig(Config):
    """Flask's config, refusing havehus settings: they live in one place, the `Settings`."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key.startswith(ENV_PREFIX):
            raise KeyError(
                f"{key} is a havehus setting: it lives in havehus.config.Settings, read with "
                "settings_of(app); a test changes it with change_settings(app, ...)"
            )
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def install_settings(app: Flask, settings: Settings) -> None:
    """Make `settings` the app's settings (`create_app` does this once)."""
    app.extensions[SETTINGS_KEY] = settings


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions[SETTINGS_KEY]
    return settings


def current_settings() -> Settings:
    """The running app's settings: for views, the CLI, the worker and request hooks only."""
    return settings_of(current_app)


def change_settings(app: Flask, **changes: Any) -> Settings:
    """Replace some of the app's settings (tests: a smaller budget, another backend)."""
    settings = dataclasses.replace(settings_of(app), **changes)
    install_settings(app, settings)
    return settings
