"""Accepted corrections replace the catalogue's text at once, in every process, until they are
exported into the `.po` files (`havehus translations-export`, then `make i18n`).

The database holds the decisions; the file `instance/translation-overrides.json` holds the texts
now in force (written on every decision), and `OverlayDomain` lays it over the compiled
catalogues, reading the file again when it changes (a web process and the worker share it).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import support
from babel.messages import pofile
from flask import current_app, g, has_app_context
from flask_babel import Domain, get_locale
from sqlalchemy import select

from havehus.models import TranslationReview
from havehus.orm import OrmSession
from havehus.program.services import bump_program_version

FILE_NAME = "translation-overrides.json"


def accepted(orm: OrmSession) -> dict[str, dict[str, str]]:
    """Per language, msgid → the latest accepted correction."""
    rows = orm.scalars(
        select(TranslationReview)
        .where(TranslationReview.decision == "accepted")
        .order_by(TranslationReview.decided_at, TranslationReview.id)
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        if row.suggestion:
            found.setdefault(row.language, {})[row.msgid] = row.suggestion
    return found


def write(orm: OrmSession, instance_path: str) -> Path:
    """Write the corrections in force for every process to read (atomically)."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(accepted(orm), ensure_ascii=False, indent=1), "utf-8")
    os.replace(partial, path)
    return path


def put_in_force(orm: OrmSession, instance_path: str, now: datetime) -> Path:
    """After an accepted correction is committed: write the texts in force, then move the
    program version (the caller commits), so every process's cached pages and feeds are
    made again with the new text — in that order, or a page made in between would keep the
    old text under the new version."""
    path = write(orm, instance_path)
    bump_program_version(orm, now)
    return path


def export_to_catalogues(orm: OrmSession, locales: Path) -> dict[str, int]:
    """Write every accepted correction into `locales/<language>/LC_MESSAGES/messages.po`
    (the msgstr of its msgid; a msgid the catalogue no longer has is left out). Returns how
    many texts changed per language; `make i18n` compiles them."""
    changed: dict[str, int] = {}
    for language, texts in accepted(orm).items():
        path = locales / language / "LC_MESSAGES" / "messages.po"
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalogue = pofile.read_po(handle, locale=language)
        count = 0
        for msgid, text in texts.items():
            message = catalogue.get(msgid)
            if message is None or message.pluralizable or message.string == text:
                continue
            message.string = text
            message.flags.discard("fuzzy")
            count += 1
        if count:
            with path.open("wb") as handle:
                pofile.write_po(handle, catalogue, width=100)
        changed[language] = count
    return changed


class OverlayDomain(Domain):
    """The app's message domain: the compiled catalogues with the accepted corrections on top."""

    def __init__(self) -> None:
        super().__init__(domain="messages")
        self._overlaid: dict[tuple[str, int, int, int, str], Any] = {}

    def get_translations(self) -> Any:
        base = super().get_translations()
        if not has_app_context():
            return base
        # Every gettext asks: look at the file once per request and catalogue (force_locale
        # gives another), not once per string.
        memo = g.get("_havehus_overlay")
        if memo is not None and memo[0] is base:
            return memo[1]
        found = self._overlaid_for(base)
        g._havehus_overlay = (base, found)
        return found

    def _overlaid_for(self, base: Any) -> Any:
        path = Path(current_app.instance_path) / FILE_NAME
        try:
            stat = path.stat()
        except OSError:
            return base
        locale = get_locale()
        language = locale.language if locale else "da"
        # Each write replaces the file (a new inode): two writes of one size within a tick
        # of the clock are still told apart.
        key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, language)
        found = self._overlaid.get(key)
        if found is None:
            found = self._overlay(base, path, language)
            # Only the newest version of a file is kept per language.
            self._overlaid = {
                k: v for k, v in self._overlaid.items() if (k[0], k[3]) != (key[0], language)
            }
            self._overlaid[key] = found
        return found

    @staticmethod
    def _overlay(base: Any, path: Path, language: str) -> Any:
        try:
            texts = json.loads(path.read_text("utf-8")).get(language) or {}
        except (OSError, ValueError):
            return base
        if not texts:
            return base
        merged = support.Translations()
        merged.merge(base)
        if hasattr(base, "plural"):
            merged.plural = base.plural
        merged._catalog.update(texts)
        return merged
