"""Native speakers review their language: a translator signs in, corrects an Arabic string,
a manager accepts it, and the next text uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from havehus.config import change_settings, settings_of
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.models import AuditEvent, StaffUser, TranslationReview
from havehus.paths import LOCALES_DIR
from havehus.people.services import create_staff_user
from havehus.translations import review
from tests.factories import add_participant
from tests.messaging.fake_twilio import AUTH_TOKEN, post_inbound
from tests.messaging.test_inbound import answer
from tests.staff_fixtures import PASSWORD, post_form, sign_in, submit_page_form

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HELP = (
    'If you are coming, reply "YES". To cancel your next booking, reply "NO". For your '
    'bookings, reply "LINK". For no more texts, reply "STOP". %(site)s'
)
BETTER = (
    "إذا كنت ستحضر، أرسل «نعم». للإلغاء، أرسل «لا». لحجوزاتك: «رابط». لإيقاف الرسائل: «STOP». "
    "%(site)s"
)


def _translator(language: str = "ar") -> StaffUser:
    user = create_staff_user(
        db.session, f"translator-{language}@havehus.example", "translator", PASSWORD, NOW,
        name="Amina", translates=language,
    )  # fmt: skip
    db.session.commit()
    return user


def _strings_page(client, language: str = "", search: str = "") -> str:
    response = client.get(
        "/staff/translations/?lang=en"
        + (f"&language={language}" if language else "")
        + (f"&q={quote(search)}" if search else "")
    )
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_translator_corrects_an_arabic_text_the_manager_accepts_and_the_next_text_uses_it(
    app, client, make_user, clock
):
    change_settings(app, twilio_auth_token=AUTH_TOKEN)
    clock.set(NOW)
    translator = _translator("ar")

    # The translator signs in and lands on the strings of their language.
    response = sign_in(client, translator.email)
    assert response.status_code == 302 and response.location.endswith("/staff/translations/")
    page = _strings_page(client, search="For no more texts")
    assert "العربية" in page and HELP.replace('"', "&#34;") in page
    assert "segments" in page and "draft" in page
    # Only their language: not Ukrainian, not the manager's list.
    assert "Українська" not in _strings_page(client, "uk")
    assert client.get("/staff/translations/suggestions").status_code == 403
    assert client.get("/staff/").status_code == 403

    # They correct the help text (placeholders kept) ...
    response = submit_page_form(
        client, "/staff/translations/?q=For+no+more+texts",
        f'value="{HELP.replace(chr(34), "&#34;")}"',
        verdict="needs-change", suggestion=BETTER,
    )  # fmt: skip
    assert response.status_code == 302
    (suggested,) = db.session.scalars(select(TranslationReview)).all()
    assert (suggested.language, suggested.msgid, suggested.decision) == ("ar", HELP, None)
    assert "needs change" in _strings_page(client, search="For no more texts")

    # ... a manager accepts it ...
    client.post("/staff/logout")
    client.delete_cookie("session")
    manager = make_user("manager")
    assert sign_in(client, manager.email).status_code == 302
    suggestions = client.get("/staff/translations/suggestions").get_data(as_text=True)
    assert BETTER.replace("%(site)s", "").strip() in suggestions.replace("&#34;", '"')
    response = post_form(
        client,
        "/staff/translations/suggestions",
        f"/staff/translations/suggestions/{suggested.id}/accept",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TranslationReview, suggested.id).decision == "accepted"
    assert db.session.scalar(
        select(AuditEvent.action).where(AuditEvent.action == "translation.accept")
    )

    # ... and the next text an Arabic speaker gets is the corrected one.
    someone = add_participant("ليلى", at=NOW, phone="auto", language="ar")
    db.session.commit()
    (text,) = answer(post_inbound(client, someone.phone, "مساعدة"))
    assert text == BETTER % {"site": settings_of(app).site_name}
    # A Danish speaker's help is unchanged.
    dane = add_participant("Jens", at=NOW, phone="auto", language="da")
    db.session.commit()
    (danish,) = answer(post_inbound(client, dane.phone, "hjælp"))
    assert danish.startswith('Hvis du kommer, så svar "JA"')
    # The string counts as reviewed by a native speaker now.
    assert review.progress(db.session)["ar"] == 1


def test_a_suggestion_must_keep_the_placeholders_and_be_a_resident_string(app, clock):
    translator = _translator("ar")
    with pytest.raises(HavehusError) as refused:
        review.review(
            db.session, translator, "ar", HELP, "needs-change", "بدون الاسم", NOW, review_actor()
        )
    assert refused.value.code == "suggestion"
    with pytest.raises(HavehusError) as refused:
        review.review(db.session, translator, "ar", "Users", "reviewed", "", NOW, review_actor())
    assert refused.value.code == "unknown_msgid"
    with pytest.raises(HavehusError) as refused:
        review.review(
            db.session, translator, "ar", "%(num)d seat left", "needs-change", "%(num)d",
            NOW, review_actor(),
        )  # fmt: skip
    assert refused.value.code == "plural"
    with pytest.raises(HavehusError) as refused:
        review.review(db.session, translator, "uk", HELP, "reviewed", "", NOW, review_actor())
    assert refused.value.code == "forbidden"


def test_a_host_or_partner_cannot_review_and_only_a_manager_decides(app, make_user):
    host, partner, manager = make_user("host"), make_user("partner"), make_user("manager")
    translator = _translator("so")
    assert not review.may_review(host, "ar") and not review.may_review(partner, "ar")
    assert review.may_review(manager, "ar") and not review.may_review(manager, "da")
    assert review.may_review(translator, "so") and not review.may_review(translator, "ar")
    assert review.may_decide(manager) and not review.may_decide(translator)


def test_a_translator_needs_one_residents_language(app):
    for role, translates in (("translator", None), ("translator", "da"), ("host", "ar")):
        with pytest.raises(HavehusError):
            create_staff_user(
                db.session, f"x-{role}-{translates}@havehus.example", role, PASSWORD, NOW,
                translates=translates,
            )  # fmt: skip


def review_actor():
    from havehus.people.audit import CLI

    return CLI


def test_accepted_corrections_are_exported_into_the_catalogue(app, clock, tmp_path):
    """`havehus translations-export` writes what managers accepted into the .po files, so a
    release carries it (then `make i18n` compiles it) and the override file may be emptied."""
    catalogue = tmp_path / "ar" / "LC_MESSAGES" / "messages.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_bytes((LOCALES_DIR / "ar" / "LC_MESSAGES" / "messages.po").read_bytes())
    for msgid, suggestion, decision in (
        (HELP, BETTER, "accepted"),
        ("Cancelled", "ملغى؟", None),  # still waiting: not exported
        ("no longer in the catalogue", "نص", "accepted"),  # left out, nothing breaks
    ):
        db.session.add(
            TranslationReview(
                language="ar", msgid=msgid, verdict="needs-change", suggestion=suggestion,
                created_at=NOW, decision=decision, decided_at=NOW if decision else None,
            )
        )  # fmt: skip
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["translations-export", "--locales", str(tmp_path)])

    assert result.exit_code == 0 and "ar: 1 text(s) written" in result.output
    with catalogue.open("rb") as handle:
        exported = read_po(handle, locale="ar")
    assert exported[HELP].string == BETTER
    assert exported["Cancelled"].string != "ملغى؟"
    again = app.test_cli_runner().invoke(args=["translations-export", "--locales", str(tmp_path)])
    assert "ar: 0 text(s) written" in again.output  # the same file twice changes nothing


def test_the_strings_come_a_page_at_a_time_and_can_be_found(client, app, clock):
    translator = _translator("ar")
    assert sign_in(client, translator.email).status_code == 302

    first = _strings_page(client)
    second = client.get("/staff/translations/?lang=en&page=2").get_data(as_text=True)
    found = _strings_page(client, search="For no more texts")

    assert first.count('name="verdict" value="reviewed"') == 25
    assert "Page 1 of" in first and 'rel="next"' in first
    assert 'id="string-26"' in second and 'id="string-1"' not in second
    assert found.count('name="verdict" value="reviewed"') == 1
    far = client.get("/staff/translations/?lang=en&page=99999").get_data(as_text=True)
    assert 'rel="prev"' in far and 'rel="next"' not in far  # the last page, not an empty one


def test_a_suggestion_with_a_stray_percent_or_web_page_code_is_refused(app, clock):
    """Translations are shown as they are and formatted with the values: a stray % would
    break the page or the text, and a tag would put code on every page of the language."""
    translator = _translator("ar")
    for suggestion in (
        "لا شيء 100%!",
        'مرحبا <img src=x onerror="alert(1)"> بالجميع',
        "نص <b>عريض</b>",
        "نص > آخر",
    ):
        with pytest.raises(HavehusError) as refused:
            review.review(
                db.session, translator, "ar", "Nothing planned this day.", "needs-change",
                suggestion, NOW, review_actor(),
            )  # fmt: skip
        assert refused.value.code == "suggestion", suggestion
    kept = review.review(
        db.session, translator, "ar", "Nothing planned this day.", "needs-change",
        "لا شيء في هذا اليوم.", NOW, review_actor(),
    )  # fmt: skip
    assert kept.suggestion == "لا شيء في هذا اليوم."


def test_an_accepted_correction_shows_at_once_on_the_cached_public_pages(
    app, client, make_user, clock
):
    """The public pages are kept in memory and answered again by the version: accepting a
    correction moves it, after the new text is in force (else a page made in between
    would keep the old text)."""
    clock.set(NOW)
    visitor = app.test_client()
    before = visitor.get("/?lang=ar").get_data(as_text=True)
    assert visitor.get("/?lang=ar").get_data(as_text=True) == before  # kept
    corrected = "الأسبوع التالي ←"
    assert corrected not in before
    suggested = review.review(
        db.session, _translator("ar"), "ar", "Next week", "needs-change", corrected, NOW,
        review_actor(),
    )  # fmt: skip
    db.session.commit()

    manager = make_user("manager")
    assert sign_in(client, manager.email).status_code == 302
    response = post_form(
        client,
        "/staff/translations/suggestions",
        f"/staff/translations/suggestions/{suggested.id}/accept",
    )
    assert response.status_code == 302

    assert corrected in visitor.get("/?lang=ar").get_data(as_text=True)
    assert corrected in app.test_client().get("/?lang=ar").get_data(as_text=True)
