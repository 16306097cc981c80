"""Where the resource folders (templates, static, locales, config, migrations) live."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource_root() -> Path:
    # In a wheel the folders are force-included inside the package; in a checkout
    # (editable install or plain source tree) they sit at the repository root.
    if (PACKAGE_DIR / "templates").is_dir():
        return PACKAGE_DIR
    return PACKAGE_DIR.parent


RESOURCE_ROOT = _resource_root()
TEMPLATES_DIR = RESOURCE_ROOT / "templates"
STATIC_DIR = RESOURCE_ROOT / "static"
LOCALES_DIR = RESOURCE_ROOT / "locales"
CONFIG_DIR = RESOURCE_ROOT / "config"
MIGRATIONS_DIR = RESOURCE_ROOT / "migrations"
