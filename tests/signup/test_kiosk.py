"""The kiosk tablet: the coming days, sign-up with a number pad, and no traces.

"I am here" on the kiosk is a check-in: tests/attendance/test_kiosk_check_in.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.models import (
    Booking,
    Consent,
    OptOut,
    OutboundMessage,
    Participant,
    SignupChallenge,
)
from havehus.people.access import KIOSK_COOKIE
from havehus.people.audit import CLI
from havehus.people.credentials import enrol_kiosk, revoke_kiosk
from havehus.signup import services
from tests.conftest import DEFAULT_NOW
from tests.factories import number_key
from tests.staff_fixtures import post_form

NOW = DEFAULT_NOW
TZ = ZoneInfo("Europe/Copenhagen")
PHONE_DIGITS = "20123456"


# ---------------------------------------------------------------- helpers


def _english(client) -> None:
    """Choose English once, as a person would with the language picker (kept in a cookie)."""
    assert client.get("/kiosk?lang=en").status_code == 200


def _enrol(client):
    device, raw = enrol_kiosk(db.session, "Tablet in the hall", None, NOW, CLI)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, raw)
    return device


def _type_number(client, session, digits: str = PHONE_DIGITS):
    """Tap the pad one digit at a time, as a browser without JavaScript does."""
    page = f"/kiosk/sessions/{session.id}/phone"
    for digit in digits:
        response = post_form(client, page, digit=digit)
        assert response.status_code == 302, response.get_data(as_text=True)
    return post_form(client, page, step="next")


def _give_name(client, session, name: str = "Fatima", **extra: str):
    return post_form(client, f"/kiosk/sessions/{session.id}/name", name=name, **extra)


def _say_here(client, session):
    # The start page has no form for a browser that may not count; any page's CSRF token
    # will do (it belongs to the browser's session), as a forged request would have it.
    return post_form(client, "/staff/login", f"/kiosk/sessions/{session.id}/here")


def _local(day_offset: int, at: time) -> datetime:
    day = NOW.astimezone(TZ).date() + timedelta(days=day_offset)
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def drop_in_now(make_activity, make_session):
    """A drop-in session that is on right now."""

    def make(**fields):
        activity = make_activity(
            mode="drop_in", title={"da": "Nørklecafé", "en": "Knitting café"}, **fields
        )
        session = make_session(activity, NOW - timedelta(minutes=10), minutes=120)
        db.session.commit()
        return session

    return make


# ---------------------------------------------------------------- the start page


def test_start_lists_today_and_the_next_six_days(client, make_activity, make_session):
    for title, starts in (
        ("Garden today", NOW),
        ("Walk in six days", _local(6, time(10))),
        ("Dinner in seven days", _local(7, time(10))),
    ):
        make_session(make_activity(title={"da": title, "en": title}), starts)
    db.session.commit()
    _english(client)

    page = client.get("/kiosk").get_data(as_text=True)

    assert "Garden today" in page
    assert "Walk in six days" in page
    assert "Dinner in seven days" not in page


def test_just_after_midnight_a_session_still_on_from_the_evening_says_i_am_here(
    client, make_activity, make_session, clock
):
    late = make_activity(mode="drop_in", title={"da": "Sangaften", "en": "Song evening"})
    session = make_session(late, _local(0, time(23, 0)), minutes=90)  # until 00:30
    db.session.commit()
    clock.set(_local(1, time(0, 5)))
    _enrol(client)
    _english(client)

    page = client.get("/kiosk").get_data(as_text=True)

    today = re.search(r'<li class="kiosk-day kiosk-day--today">(.*?)</li>\s*<li', page, re.S)
    assert "Song evening" in today.group(1)
    assert f'href="/kiosk/sessions/{session.id}/here"' in page


def test_cards_lead_to_the_kiosk_pages_and_not_out_of_the_kiosk(client, bookable):
    session = bookable(capacity=20)
    page = client.get("/kiosk").get_data(as_text=True)
    assert f'href="/kiosk/sessions/{session.id}"' in page
    assert f'href="/sessions/{session.id}"' not in page


def test_language_picker_writes_each_language_in_its_own_script(app, client):
    change_settings(app, languages=["da", "en", "ar", "uk"])
    page = client.get("/kiosk").get_data(as_text=True)
    for native in ("Dansk", "English", "العربية", "Українська"):
        assert native in page
    assert 'href="/kiosk?lang=ar"' in page
    assert 'lang="ar" dir="rtl"' in page


def test_sign_up_session_with_walk_ins_says_both(client, bookable):
    session = bookable(capacity=20, walk_ins_welcome=True)
    _english(client)
    page = client.get(f"/kiosk/sessions/{session.id}").get_data(as_text=True)
    assert "Sign up" in page
    assert "Walk-ins welcome too" in page


# ---------------------------------------------------------------- signing up on an enrolled tablet


def test_enrolled_kiosk_books_at_once_and_the_seat_count_drops(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)

    assert _type_number(client, session).status_code == 302
    response = _give_name(client, session)

    assert response.status_code == 302 and response.location == "/kiosk/done"
    db.session.refresh(session)
    assert session.seats_taken == 1
    booking = db.session.scalar(select(Booking))
    assert booking.status == "confirmed" and booking.source == "kiosk"
    assert booking.participant.phone == "+4520123456"
    assert db.session.scalar(select(SignupChallenge)) is None  # no code was needed


def test_enrolled_kiosk_books_a_person_without_a_phone(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)

    response = post_form(client, f"/kiosk/sessions/{session.id}/phone", step="no_phone")
    assert response.status_code == 302 and response.location.endswith("/name")
    page = client.get(response.location).get_data(as_text=True)
    assert 'name="sms_consent"' not in page  # nothing to text
    assert _give_name(client, session, name="Amina").location == "/kiosk/done"

    person = db.session.scalar(select(Participant))
    assert person.display_name == "Amina" and person.phone is None
    db.session.refresh(session)
    assert session.seats_taken == 1


def test_full_session_shows_the_waitlist_position(client, bookable, make_person):
    session = bookable(capacity=1)
    services.book(
        db.session,
        session,
        make_person(),
        NOW,
        CLI,
        source="staff",
        notify=False,
        settings=current_settings(),
    )
    db.session.commit()
    _enrol(client)
    _english(client)

    _type_number(client, session)
    done = client.get(_give_name(client, session).location).get_data(as_text=True)

    assert "You are on the waiting list" in done
    assert "You are number 1." in done


def test_sensitive_activity_needs_the_health_consent_at_the_kiosk(client, bookable):
    session = bookable(capacity=20, sensitive=True)
    _enrol(client)
    _type_number(client, session)

    refused = _give_name(client, session)
    assert refused.status_code == 400
    assert db.session.scalar(select(Booking)) is None

    assert _give_name(client, session, health_consent="y").location == "/kiosk/done"


# ---------------------------------------------------------------- an ordinary browser


def test_ordinary_browser_confirms_the_sign_up_with_the_texted_code(client, bookable):
    session = bookable(capacity=20)

    _type_number(client, session)
    response = _give_name(client, session)

    assert response.status_code == 302 and response.location == "/kiosk/code"
    assert db.session.scalar(select(Booking)) is None  # not before the code
    page = client.get("/kiosk/code").get_data(as_text=True)
    code = re.search(r"\b(\d{6})\b", page).group(1)  # the demo shows the code (console SMS)
    for digit in code:
        post_form(client, "/kiosk/code", digit=digit)
    response = post_form(client, "/kiosk/code", step="next")

    assert response.status_code == 302 and response.location == "/kiosk/done"
    booking = db.session.scalar(select(Booking))
    assert booking.status == "confirmed" and booking.participant.phone == "+4520123456"


def _enter_shown_code(client) -> str:
    page = client.get("/kiosk/code").get_data(as_text=True)
    code = re.search(r"\b(\d{6})\b", page).group(1)  # the demo shows the code (console SMS)
    return client.get(post_form(client, "/kiosk/code", keys=code, step="next").location).get_data(
        as_text=True
    )


def _texts(kind: str) -> list[OutboundMessage]:
    return db.session.scalars(select(OutboundMessage).where(OutboundMessage.kind == kind)).all()


def test_without_the_reminder_box_the_code_booking_still_texts_its_cancel_link(client, bookable):
    session = bookable(capacity=20)
    _english(client)
    _type_number(client, session)
    _give_name(client, session)  # the reminder box is left unticked

    done = _enter_shown_code(client)

    assert "We have sent you a text message. With it you can cancel later." in done
    [confirmation] = _texts("confirmation")
    assert confirmation.to_phone == "+4520123456" and "/bookings/" in confirmation.body
    assert db.session.scalar(select(Consent)) is None  # no reminder consent was given
    assert db.session.scalar(select(Participant.phone_verified_at)) == NOW


def test_an_enrolled_kiosk_without_the_reminder_box_says_no_text_was_sent(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _english(client)
    _type_number(client, session)

    done = client.get(_give_name(client, session).location).get_data(as_text=True)

    assert "You have a seat!" in done
    assert "We have sent you" not in done
    assert "We have not sent you a text message. If you cannot come, tell the host" in done
    assert _texts("confirmation") == []  # a number typed on the tablet is not proved


def test_an_enrolled_kiosk_with_the_reminder_box_texts_the_confirmation(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _english(client)
    _type_number(client, session)

    done = client.get(_give_name(client, session, sms_consent="y").location).get_data(as_text=True)

    assert "We have sent you a text message. With it you can cancel later." in done
    assert len(_texts("confirmation")) == 1


def test_signing_up_twice_at_the_kiosk_says_so_and_texts_once(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _english(client)
    for _visit in range(2):
        _type_number(client, session)
        done = client.get(_give_name(client, session, sms_consent="y").location)
    assert "You were signed up already." in done.get_data(as_text=True)
    assert len(_texts("confirmation")) == 1


def test_a_number_that_said_stop_is_told_to_send_start_first(client, bookable):
    session = bookable(capacity=20)
    db.session.add(OptOut(phone_hash=number_key("+4520123456"), opted_out_at=NOW, source="sms"))
    db.session.commit()
    _english(client)
    _type_number(client, session)

    page = _give_name(client, session)

    assert page.status_code == 400
    assert "This number said STOP" in page.get_data(as_text=True)
    assert db.session.scalar(select(SignupChallenge)) is None
    assert _texts("code") == []


def test_an_enrolled_kiosk_says_why_a_number_that_said_stop_gets_no_text(client, bookable):
    session = bookable(capacity=20)
    db.session.add(OptOut(phone_hash=number_key("+4520123456"), opted_out_at=NOW, source="sms"))
    db.session.commit()
    _enrol(client)
    _english(client)
    _type_number(client, session)

    done = client.get(_give_name(client, session, sms_consent="y").location)

    page = done.get_data(as_text=True)
    assert "You have a seat!" in page and "This number said STOP" in page
    assert _texts("confirmation") == []


def test_a_wrong_code_is_refused_and_counted(client, bookable):
    session = bookable(capacity=20)
    _type_number(client, session)
    _give_name(client, session)

    response = post_form(client, "/kiosk/code", keys="000000", step="next")

    assert response.status_code == 400
    assert db.session.scalar(select(SignupChallenge.attempts)) == 1
    assert db.session.scalar(select(Booking)) is None


def test_no_phone_is_not_possible_on_an_ordinary_browser_and_says_so_kindly(client, bookable):
    session = bookable(capacity=20)
    _english(client)
    page = client.get(f"/kiosk/sessions/{session.id}/phone").get_data(as_text=True)
    assert 'value="no_phone"' not in page
    assert "Ask the host in the house to sign you up" in page

    response = post_form(client, f"/kiosk/sessions/{session.id}/phone", step="no_phone")

    assert response.status_code == 400
    assert "ask the host in the house" in response.get_data(as_text=True)
    assert client.get(f"/kiosk/sessions/{session.id}/name").status_code == 302


def test_revoked_kiosk_behaves_as_an_ordinary_browser(client, bookable, drop_in_now):
    session = bookable(capacity=20)
    on_now = drop_in_now()
    device = _enrol(client)
    revoke_kiosk(db.session, device, NOW, CLI)
    db.session.commit()

    assert "I am here" not in client.get("/kiosk?lang=en").get_data(as_text=True)
    assert _say_here(client, on_now).status_code == 403
    _type_number(client, session)
    assert _give_name(client, session).location == "/kiosk/code"
    assert db.session.scalar(select(Booking)) is None


# ---------------------------------------------------------------- the number pad


def test_number_pad_works_without_javascript(client, bookable):
    session = bookable(capacity=20)
    page = f"/kiosk/sessions/{session.id}/phone"
    html = client.get(page).get_data(as_text=True)
    assert '<button class="kiosk-key" type="submit" name="digit" value="7">7</button>' in html

    for digit in "201234567":
        post_form(client, page, digit=digit)
    post_form(client, page, step="delete")
    shown = client.get(page).get_data(as_text=True)

    assert "••••••56" in shown
    assert "201234" not in shown  # only the last two digits are ever in the page
    assert post_form(client, page, step="next").location.endswith("/name")


def test_number_pad_takes_the_digits_collected_by_javascript(client, bookable):
    session = bookable(capacity=20)
    page = f"/kiosk/sessions/{session.id}/phone"
    response = post_form(client, page, keys="2012345<56", step="next")
    assert response.status_code == 302 and response.location.endswith("/name")
    _enrol(client)
    _give_name(client, session)
    assert db.session.scalar(select(Participant.phone)) == "+4520123456"


def test_a_number_that_is_not_a_phone_number_is_refused_on_the_pad(client, bookable):
    session = bookable(capacity=20)
    response = post_form(client, f"/kiosk/sessions/{session.id}/phone", keys="123", step="next")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


# ---------------------------------------------------------------- resets and no traces


def test_done_screen_returns_to_the_start_after_10_seconds_and_names_nobody(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _type_number(client, session)

    done = client.get(_give_name(client, session, name="Fatima").location).get_data(as_text=True)

    assert '<meta http-equiv="refresh" content="10;url=/kiosk' in done
    assert "Fatima" not in done
    for trace in ("+4520123456", PHONE_DIGITS, "123456"):
        assert trace not in done
    # Shown once: after it, nothing personal is rendered anywhere.
    assert client.get("/kiosk/done").status_code == 302
    start = client.get("/kiosk").get_data(as_text=True)
    assert "Fatima" not in start and PHONE_DIGITS not in start


def test_every_kiosk_page_but_the_start_resets_after_60_seconds(client, bookable):
    session = bookable(capacity=20)
    reset = '<meta http-equiv="refresh" content="60;url=/kiosk'
    assert reset not in client.get("/kiosk").get_data(as_text=True)
    _type_number(client, session)
    for page in (
        f"/kiosk/sessions/{session.id}",
        f"/kiosk/sessions/{session.id}/phone",
        f"/kiosk/sessions/{session.id}/name",
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert reset in response.get_data(as_text=True), page
    _give_name(client, session)
    assert reset in client.get("/kiosk/code").get_data(as_text=True)


def test_showing_the_start_forgets_the_sign_up_in_progress(client, bookable):
    session = bookable(capacity=20)
    _type_number(client, session)
    assert client.get(f"/kiosk/sessions/{session.id}/name").status_code == 200

    client.get("/kiosk")  # the idle reset

    assert client.get(f"/kiosk/sessions/{session.id}/name").status_code == 302
    pad = client.get(f"/kiosk/sessions/{session.id}/phone").get_data(as_text=True)
    assert '<output class="kiosk-display__value" aria-live="polite"' in pad
    assert "•" not in pad


def test_consent_is_never_pre_ticked_and_company_can_be_asked_for(client, bookable):
    session = bookable(capacity=20)
    _enrol(client)
    _type_number(client, session)
    page = client.get(f"/kiosk/sessions/{session.id}/name").get_data(as_text=True)
    sms_box = re.search(r'<input[^>]*id="kiosk-sms"[^>]*>', page).group(0)
    assert "checked" not in sms_box  # consent is given by ticking, never by default
    assert 'name="wants_company"' in page

    _give_name(client, session, wants_company="y")
    booking = db.session.scalar(select(Booking))
    assert booking.wants_company
    assert db.session.scalar(select(Consent)) is None  # nothing ticked, nothing recorded


@pytest.mark.parametrize("name", ["Fati\x07ma", "Fatima\x1b[2J", "Fati\u0085ma"])
def test_a_name_with_a_control_character_is_refused(client, bookable, name):
    session = bookable(capacity=20)
    _enrol(client)
    _type_number(client, session)
    response = _give_name(client, session, name=name)
    assert response.status_code == 400
    assert "Skriv dit fornavn." in response.get_data(as_text=True)
    assert db.session.scalar(select(Participant)) is None
