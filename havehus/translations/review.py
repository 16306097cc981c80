"""Native speakers review their language: every resident-facing string with its context, its
SMS preview and segments, and its status; a suggested correction goes to a manager, whose
acceptance replaces the catalogue's text at once (`overrides`) until it is exported.

Who may do what is decided here, for every page: a translator reviews only the language they
translate; managers and admins review any and decide on suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from havehus.errors import HavehusError
from havehus.i18n import KNOWN_LANGUAGES
from havehus.i18n_tools import PLACEHOLDER, placeholders, resident_msgids
from havehus.models import StaffUser, TranslationReview
from havehus.models.people import MANAGERS
from havehus.orm import OrmSession
from havehus.paths import LOCALES_DIR, RESOURCE_ROOT
from havehus.people import audit
from havehus.translations import overrides
from havehus.translations.catalogue import (
    SMS_SOURCES,
    Preview,
    load_catalogue,
    preview,
    sample_values,
)

#: The languages native speakers review (Danish is the team's own, English the source).
REVIEWED_LANGUAGES = ("ar", "tr", "so", "ur", "uk")
#: What a string's status reads as.
DRAFT, REVIEWED, NEEDS_CHANGE = "draft", "reviewed", "needs-change"
STATUSES = (DRAFT, REVIEWED, NEEDS_CHANGE)
MAX_SUGGESTION = 2000


@dataclass(frozen=True)
class ResidentString:
    msgid: str
    #: The files it is used in (its context).
    places: tuple[str, ...]

    @property
    def is_text(self) -> bool:
        return any(place in SMS_SOURCES for place in self.places)


@dataclass(frozen=True)
class StringRow:
    """One string of a language as the review page shows it."""

    string: ResidentString
    text: str
    status: str
    preview: Preview | None
    #: The suggestion waiting for a manager, if any.
    waiting: TranslationReview | None


@cache
def resident_strings(root: Path = RESOURCE_ROOT) -> tuple[ResidentString, ...]:
    """Every resident-facing msgid of the code (not plurals: those are translated as a set)."""
    found = []
    for entry in resident_msgids(root):
        places = tuple(sorted({place.rpartition(":")[0] for place in entry.locations}))
        found.append(ResidentString(entry.msgid, places))
    return tuple(found)


def may_review(user: StaffUser, language: str) -> bool:
    if language not in REVIEWED_LANGUAGES:
        return False
    if user.role == "translator":
        return user.translates == language
    return user.role in MANAGERS


def may_decide(user: StaffUser) -> bool:
    return user.role in MANAGERS


def _refuse() -> HavehusError:
    return HavehusError(_("You cannot review this language."), "forbidden")


def _latest(orm: OrmSession, language: str) -> dict[str, TranslationReview]:
    rows = orm.scalars(
        select(TranslationReview)
        .where(TranslationReview.language == language)
        .order_by(TranslationReview.id)
    )
    return {row.msgid: row for row in rows}


def status_of(review: TranslationReview | None) -> str:
    if review is None or review.decision == "declined":
        return DRAFT
    if review.verdict == "reviewed" or review.decision == "accepted":
        return REVIEWED
    return NEEDS_CHANGE


#: A tag of web page code (a translation may keep the English text's tags, and no others).
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>")


def strings_of(
    orm: OrmSession,
    user: StaffUser,
    language: str,
    status: str | None = None,
    search: str = "",
) -> list[StringRow]:
    """The page's rows: every resident-facing string of the language (only those of `status`,
    and only those whose English or current text holds `search`, in any case)."""
    wanted = search.strip().casefold()
    if not may_review(user, language):
        raise _refuse()
    catalogue = load_catalogue(LOCALES_DIR, language)
    accepted = overrides.accepted(orm).get(language, {})
    latest = _latest(orm, language)
    when = _text_of(catalogue, "EEEE d MMMM 'at' HH:mm", accepted)
    values = sample_values(language, when)
    rows = []
    for string in resident_strings():
        review = latest.get(string.msgid)
        row_status = status_of(review)
        if status is not None and row_status != status:
            continue
        text = _text_of(catalogue, string.msgid, accepted)
        if wanted and wanted not in string.msgid.casefold() and wanted not in text.casefold():
            continue
        rows.append(
            StringRow(
                string,
                text,
                row_status,
                preview(text, values) if string.is_text else None,
                review if row_status == NEEDS_CHANGE else None,
            )
        )
    return rows


def progress(orm: OrmSession, languages: Iterable[str] = REVIEWED_LANGUAGES) -> dict[str, int]:
    """Per language: how many resident-facing strings a native speaker has reviewed."""
    wanted = {string.msgid for string in resident_strings()}
    return {
        language: sum(
            1
            for msgid, review in _latest(orm, language).items()
            if msgid in wanted and status_of(review) == REVIEWED
        )
        for language in languages
    }


def _text_of(catalogue: object, msgid: str, accepted: dict[str, str]) -> str:
    if msgid in accepted:
        return accepted[msgid]
    message = catalogue.get(msgid)  # type: ignore[attr-defined]
    if message is None or not isinstance(message.string, str) or not message.string:
        return msgid
    return str(message.string)


def review(
    orm: OrmSession,
    user: StaffUser,
    language: str,
    msgid: str,
    verdict: str,
    suggestion: str,
    now: datetime,
    actor: audit.Actor,
) -> TranslationReview:
    """Record that a string reads well, or suggest a correction for a manager to accept."""
    if not may_review(user, language):
        raise _refuse()
    if msgid not in {string.msgid for string in resident_strings()}:
        raise HavehusError(_("This text is not one residents read."), "unknown_msgid")
    message = load_catalogue(LOCALES_DIR, language).get(msgid)
    if verdict == "needs-change" and message is not None and isinstance(message.id, tuple):
        raise HavehusError(
            _("A text with plural forms is corrected in the catalogue file."), "plural"
        )
    if verdict not in ("reviewed", "needs-change"):
        raise HavehusError(_("Choose whether the text reads well."), "invalid_verdict")
    text = suggestion.strip() if verdict == "needs-change" else ""
    if verdict == "needs-change":
        if not text:
            raise HavehusError(_("Write how the text should read."), "suggestion")
        if len(text) > MAX_SUGGESTION:
            raise HavehusError(
                _("At most %(count)d characters.", count=MAX_SUGGESTION), "suggestion"
            )
        if placeholders(text) != placeholders(msgid):
            raise HavehusError(
                _("Keep every placeholder exactly as it is: %(names)s.",
                  names=" ".join(sorted(placeholders(msgid))) or "–"),
                "suggestion",
            )  # fmt: skip
        if "%" in PLACEHOLDER.sub("", text):
            # Outside a placeholder a % breaks the page or the text it goes into.
            raise HavehusError(
                _("The per cent sign (%) may only be part of a placeholder: write the word."),
                "suggestion",
            )
        if sorted(_MARKUP.findall(text)) != sorted(_MARKUP.findall(msgid)) or (
            ("<" in text or ">" in text) and not _MARKUP.search(msgid)
        ):
            # The pages show a translation as it is: no markup the English text lacks.
            raise HavehusError(
                _("Write the text without < and > (no web page code)."), "suggestion"
            )
    row = TranslationReview(
        language=language,
        msgid=msgid,
        verdict=verdict,
        suggestion=text or None,
        author_id=user.id,
        created_at=now,
    )
    orm.add(row)
    orm.flush()
    audit.record(orm, "translation.review", now, actor, target=row, details={"verdict": verdict})
    return row


def waiting_suggestions(orm: OrmSession, user: StaffUser) -> list[TranslationReview]:
    """Suggestions no manager has decided on yet, oldest first."""
    if not may_decide(user):
        raise _refuse()
    return list(
        orm.scalars(
            select(TranslationReview)
            .where(
                TranslationReview.verdict == "needs-change",
                TranslationReview.decision.is_(None),
            )
            .order_by(TranslationReview.id)
        )
    )


def decide(
    orm: OrmSession,
    user: StaffUser,
    suggestion: TranslationReview,
    accept: bool,
    now: datetime,
    actor: audit.Actor,
) -> bool:
    """Accept or decline a suggestion; False if it was decided before.

    Once committed, `overrides.put_in_force` puts an accepted text in force in every process.
    """
    if not may_decide(user):
        raise _refuse()
    if suggestion.verdict != "needs-change" or suggestion.decision is not None:
        return False
    suggestion.decision = "accepted" if accept else "declined"
    suggestion.decided_by_id = user.id
    suggestion.decided_at = now
    orm.flush()
    audit.record(
        orm,
        "translation.accept" if accept else "translation.decline",
        now,
        actor,
        target=suggestion,
        details={"language": suggestion.language},
    )
    return True


def language_name(code: str) -> str:
    known = KNOWN_LANGUAGES.get(code)
    return known.native_name if known else code
