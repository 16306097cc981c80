"""Configuration: TOML defaults, a HAVEHUS_CONFIG file, HAVEHUS_* variables, production guards."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

import havehus
from havehus import create_app
from havehus.config import (
    DEFAULT_SECRET_KEY,
    RETENTION_SETTINGS,
    ConfigError,
    Settings,
    change_settings,
    load_settings,
    settings_of,
)
from havehus.core.replay import Replay
from havehus.paths import CONFIG_DIR

STRONG_SECRET = "x" * 40


def test_defaults_come_from_default_toml():
    settings = load_settings(environ={})
    assert settings["env"] == "development"
    assert settings["sms_backend"] == "console"
    assert settings["timezone"] == "Europe/Copenhagen"
    assert settings["languages"][0] == "da"


def test_environment_variables_override_with_types():
    settings = load_settings(
        environ={
            "HAVEHUS_DATABASE_URL": "sqlite:///elsewhere.db",
            "HAVEHUS_HORIZON_WEEKS": "20",
            "HAVEHUS_LANGUAGES": "da, en",
        }
    )
    assert settings["database_url"] == "sqlite:///elsewhere.db"
    assert settings["horizon_weeks"] == 20
    assert settings["languages"] == ["da", "en"]


def test_a_config_file_overrides_defaults_and_the_environment_overrides_it(tmp_path: Path):
    config = tmp_path / "house.toml"
    config.write_text('site_name = "Kulturhuset"\nhorizon_weeks = 8\n')
    settings = load_settings(environ={"HAVEHUS_CONFIG": str(config), "HAVEHUS_HORIZON_WEEKS": "10"})
    assert settings["site_name"] == "Kulturhuset"
    assert settings["horizon_weeks"] == 10


def test_a_bad_number_in_the_environment_is_explained():
    with pytest.raises(ConfigError, match="HAVEHUS_HORIZON_WEEKS must be a whole number"):
        load_settings(environ={"HAVEHUS_HORIZON_WEEKS": "many"})


def test_a_missing_config_file_is_explained(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(environ={"HAVEHUS_CONFIG": str(tmp_path / "nope.toml")})


def test_unknown_sms_backend_is_refused():
    with pytest.raises(ConfigError, match="HAVEHUS_SMS_BACKEND"):
        load_settings(environ={"HAVEHUS_SMS_BACKEND": "pigeon"})


def test_production_refuses_the_default_secret_key():
    with pytest.raises(ConfigError, match="HAVEHUS_SECRET_KEY"):
        load_settings(environ={"HAVEHUS_ENV": "production"})
    with pytest.raises(ConfigError):
        load_settings(environ={"HAVEHUS_ENV": "production", "HAVEHUS_SECRET_KEY": "short"})
    assert DEFAULT_SECRET_KEY not in STRONG_SECRET


def test_production_refuses_the_console_sms_backend():
    production = {"HAVEHUS_ENV": "production", "HAVEHUS_SECRET_KEY": STRONG_SECRET}
    # The console backend sends nothing and writes every number and booking link to the log.
    with pytest.raises(ConfigError, match="HAVEHUS_SMS_BACKEND=twilio"):
        load_settings(environ=production)
    with pytest.raises(ConfigError, match="console"):
        load_settings(environ={**production, "HAVEHUS_SMS_BACKEND": "console"})
    assert load_settings(environ={**production, "HAVEHUS_SMS_BACKEND": "twilio"})
    # `make run` (the demo, development) keeps its console texts.
    demo = load_settings(environ={"HAVEHUS_CONFIG": str(CONFIG_DIR / "demo.toml")})
    assert demo["sms_backend"] == "console"
    example = {"HAVEHUS_CONFIG": str(CONFIG_DIR / "production.example.toml")}
    assert load_settings(environ={**example, "HAVEHUS_SECRET_KEY": STRONG_SECRET})


@pytest.mark.parametrize("key", RETENTION_SETTINGS)
def test_every_retention_period_must_be_a_positive_whole_number(key):
    with pytest.raises(ConfigError, match=f"HAVEHUS_{key.upper()} must be at least 1"):
        load_settings(environ={f"HAVEHUS_{key.upper()}": "0"})
    with pytest.raises(ConfigError, match=f"HAVEHUS_{key.upper()}"):
        load_settings(environ={f"HAVEHUS_{key.upper()}": "ninety"})
    assert load_settings(environ={f"HAVEHUS_{key.upper()}": "7"})[key] == 7


def test_production_refuses_a_short_opt_out_key():
    production = {
        "HAVEHUS_ENV": "production",
        "HAVEHUS_SECRET_KEY": STRONG_SECRET,
        "HAVEHUS_SMS_BACKEND": "twilio",
    }
    with pytest.raises(ConfigError, match="HAVEHUS_OPT_OUT_KEY"):
        load_settings(environ={**production, "HAVEHUS_OPT_OUT_KEY": "short"})
    assert load_settings(environ={**production, "HAVEHUS_OPT_OUT_KEY": STRONG_SECRET[::-1]})
    assert load_settings(environ=production)["opt_out_key"] == ""  # the secret key is used


def test_production_uses_secure_cookies_and_hsts(sqlite_url: str):
    app = create_app(
        {
            "env": "production",
            "secret_key": STRONG_SECRET,
            "sms_backend": "twilio",
            "database_url": sqlite_url,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_cookies_work_over_http(sqlite_url: str):
    app = create_app({"database_url": sqlite_url})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


def test_quiet_hours_must_be_clock_times():
    assert load_settings(environ={})["quiet_start"] == "21:00"
    with pytest.raises(ConfigError, match="HAVEHUS_QUIET_END"):
        load_settings(environ={"HAVEHUS_QUIET_END": "8 am"})


def test_the_app_keeps_its_settings_once_typed_and_frozen(sqlite_url: str):
    app = create_app({"database_url": sqlite_url, "languages": ["da", "en"]})
    settings = settings_of(app)
    assert isinstance(settings, Settings)
    assert settings.languages == ("da", "en")
    assert settings.horizon_weeks == 12
    assert settings.tz.key == "Europe/Copenhagen"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.site_name = "Elsewhere"  # type: ignore[misc]
    # One home: Flask's config holds Flask's keys, never a second copy of a havehus setting.
    assert not [key for key in app.config if key.startswith("HAVEHUS_")]
    with pytest.raises(KeyError, match="change_settings"):
        app.config["HAVEHUS_SITE_NAME"] = "Elsewhere"
    with pytest.raises(KeyError, match="change_settings"):
        app.config.update(HAVEHUS_SITE_NAME="Elsewhere")
    changed = change_settings(app, site_name="Elsewhere")
    assert settings_of(app) is changed and changed.site_name == "Elsewhere"
    assert settings.site_name == "Havehuset"


def test_trusted_proxies_put_the_proxy_fix_in_front(sqlite_url: str):
    """In front of Flask, behind the kept answers (`Replay` keys on the raw forwarded
    headers, which is all it reads of them)."""
    behind = create_app({"database_url": sqlite_url, "trusted_proxies": 1})
    assert isinstance(behind.wsgi_app, Replay) and isinstance(behind.wsgi_app.app, ProxyFix)
    direct = create_app({"database_url": sqlite_url}).wsgi_app
    assert isinstance(direct, Replay) and not isinstance(direct.app, ProxyFix)


#: The modules that may ask the running app (`current_app`, `current_settings()`): the web
#: side (views, forms, webhooks, request hooks), the entry points and the core's accessors.
#: Every other module is a service: it is handed the settings, or the values it needs.
READS_THE_APP = re.compile(
    r"(views|_views/\w+|webhooks|forms|blueprint)\.py$"
    r"|^(__init__|cli|worker|templating|dashboard|config|errors|input_guard|maintenance|i18n|timeutil)\.py$"
    r"|^people/access\.py$|^api/(activities|bookings)\.py$"
    # the public pages' cache: it reads the request (cookies, ETag) around a view
    r"|^program/page_cache\.py$"
    # the corrections laid over the catalogues whenever gettext asks (like i18n.py)
    r"|^translations/overrides\.py$"
)


def test_no_service_reads_the_app():
    package = Path(havehus.__file__).parent
    readers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"\bcurrent_app\b|\bcurrent_settings\(", path.read_text(encoding="utf-8"))
    }
    assert readers, "the pattern finds the web side's readers"
    assert sorted(r for r in readers if not READS_THE_APP.search(r)) == []
