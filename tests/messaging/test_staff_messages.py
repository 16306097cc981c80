"""The staff messaging pages: the outbox, replies, the text preview and its numbers."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from havehus.config import change_settings, current_settings
from havehus.extensions import db
from havehus.messaging.outgoing import replies_possible
from havehus.messaging.segments import count_segments, describe
from havehus.models import Activity, InboundMessage, OptOut, OutboundMessage, Participant, Session
from havehus.signup import texts
from tests.factories import number_key
from tests.staff_fixtures import post_form

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
PAGES = (
    "/staff/messages",
    "/staff/messages/replies",
    "/staff/messages/templates",
    "/staff/broadcasts",
)


def text(phone: str = "+4520991234", **fields) -> OutboundMessage:
    values = dict(
        to_phone=phone,
        language="da",
        body="Du har en plads: Sammen om maden",
        kind="confirmation",
        send_after=NOW,
        created_at=NOW,
    )
    values.update(fields)
    message = OutboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def reply(body: str = "Kan jeg tage min søster med?", **fields) -> InboundMessage:
    values = dict(from_phone="+4520995678", body=body, received_at=NOW, interpreted_as="other")
    values.update(fields)
    message = InboundMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def rows(page: str) -> int:
    return len(re.findall(r'href="/staff/messages/\d+"', page))


# ---------------------------------------------------------------- who may see


@pytest.mark.parametrize("role", ["host", "partner"])
def test_hosts_and_partners_may_not_see_messages(client, signed_in, role):
    signed_in(role)
    message = text()
    for path in (*PAGES, f"/staff/messages/{message.id}", "/staff/broadcasts/new?session=1"):
        assert client.get(path).status_code == 403, path
    assert "/staff/messages" not in client.get("/staff/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_every_page(client, signed_in, role):
    signed_in(role)
    message = text()
    for path in (*PAGES, f"/staff/messages/{message.id}"):
        assert client.get(path).status_code == 200, path
    assert client.get("/staff/messages/999999").status_code == 404


# ---------------------------------------------------------------- the outbox


def test_each_row_shows_time_kind_masked_number_status_in_words_and_error(client, signed_in):
    signed_in("manager")
    text(status="failed", attempts=3, last_error="Twilio error 21211", error_code=21211,
         segments=1)  # fmt: skip
    page = client.get("/staff/messages").get_data(as_text=True)
    assert "•••• 12 34" in page and "+4520991234" not in page
    assert "Bekræftelse" in page  # the kind, in the page's language (Danish)
    assert "Mislykkedes" in page and "✗" in page  # a word and a sign, not colour alone
    assert "21211" in page and "Twilio error 21211" in page
    assert 'datetime="2026-12-03T14:00+01:00"' in page  # local time


def test_the_console_backend_says_texts_are_only_shown_here(app, client, signed_in):
    signed_in("manager")
    page = client.get("/staff/messages?lang=en").get_data(as_text=True)
    assert "Texts are not sent" in page
    change_settings(app, sms_backend="twilio")
    page = client.get("/staff/messages?lang=en").get_data(as_text=True)
    assert "Texts are not sent" not in page


def test_the_outbox_is_newest_first_in_pages_of_50(client, signed_in):
    signed_in("manager")
    for number in range(55):
        text(body=f"Tekst nummer {number}", created_at=NOW + timedelta(minutes=number))
    first = client.get("/staff/messages").get_data(as_text=True)
    second = client.get("/staff/messages?page=2").get_data(as_text=True)
    assert rows(first) == 50 and rows(second) == 5
    newest = db.session.scalar(db.select(OutboundMessage.id).order_by(OutboundMessage.id.desc()))
    assert first.index(f'/staff/messages/{newest}"') < first.index(f'/staff/messages/{newest - 1}"')
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_filters_by_status_kind_and_last_four_digits(client, signed_in):
    signed_in("manager")
    failed = text(status="failed")
    reminder = text(kind="reminder", status="sent", phone="+4520995555")
    other = text(status="delivered", phone="+4520996666")

    def found(query: str) -> set[int]:
        page = client.get(f"/staff/messages?{query}").get_data(as_text=True)
        return {int(i) for i in re.findall(r'href="/staff/messages/(\d+)"', page)}

    assert found("status=failed") == {failed.id}
    assert found("kind=reminder") == {reminder.id}
    assert found("digits=6666") == {other.id}
    assert found("status=sent&kind=reminder&digits=5555") == {reminder.id}
    assert found("") == {failed.id, reminder.id, other.id}
    response = client.get("/staff/messages?digits=12ab")
    assert response.status_code == 400
    assert "Skriv de sidste 4 cifre i nummeret." in response.get_data(as_text=True)


def test_numbers_we_cannot_reach_are_one_filter_away(client, signed_in):
    signed_in("manager")
    opted_out = text(phone="+4520990001")
    unreachable = text(phone="+4520990002")
    by_code = text(phone="+4520990003", status="failed", error_code=21610)
    fine = text(phone="+4520990004")
    db.session.add(OptOut(phone_hash=number_key("+4520990001"), opted_out_at=NOW, source="sms"))
    db.session.add(Participant(public_id="p-x", display_name="Ali", phone="+4520990002",
                               phone_unreachable=True, created_at=NOW))  # fmt: skip
    db.session.commit()
    page = client.get("/staff/messages?status=unreachable").get_data(as_text=True)
    found = {int(i) for i in re.findall(r'href="/staff/messages/(\d+)"', page)}
    assert found == {opted_out.id, unreachable.id, by_code.id}
    assert fine.id not in found
    assert "kan ikke nås" in page


def test_the_detail_page_shows_the_whole_text(client, signed_in):
    signed_in("manager")
    body = "Aflyst: Sammen om maden torsdag den 3. december 17:00. Kokken er syg. " * 3
    message = text(body=body.strip(), kind="change")
    page = client.get(f"/staff/messages/{message.id}").get_data(as_text=True)
    assert body.strip() in page and "•••• 12 34" in page


# ---------------------------------------------------------------- replies and the badge


def test_the_badge_counts_replies_nobody_understood_or_handled(client, signed_in):
    user = signed_in("manager")
    reply()
    reply(body="Tak!")
    reply(body="JA", interpreted_as="yes")
    reply(body="Hvad?", handled_at=NOW, handled_by_id=user.id)
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert '<span class="badge" aria-hidden="true">2</span>' in page
    assert '<span class="visually-hidden">(2 replies need an answer)</span>' in page


def test_no_badge_without_waiting_replies(client, signed_in):
    signed_in("manager")
    reply(interpreted_as="no")
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "Messages" in page and "need an answer" not in page


def test_replies_show_what_they_were_understood_as_and_who_sent_them(client, signed_in):
    signed_in("manager")
    person = Participant(public_id="p-1", display_name="Fatima", phone="+4520995678",
                         created_at=NOW)  # fmt: skip
    db.session.add(person)
    db.session.commit()
    reply(participant_id=person.id)
    reply(body="STOP", interpreted_as="stop", from_phone="+4520990009")
    page = client.get("/staff/messages/replies?lang=en").get_data(as_text=True)
    assert "Kan jeg tage min søster med?" in page and "Fatima" in page
    assert "Not understood" in page and "Stop all texts" in page
    assert "•••• 56 78" in page and "+4520995678" not in page
    assert "Unknown number" in page


def test_mark_handled_needs_the_form_and_records_who_and_when(app, client, signed_in, clock):
    clock.set(NOW)
    app.config["WTF_CSRF_ENABLED"] = True
    user = signed_in("manager")
    waiting = reply()
    action = f"/staff/messages/replies/{waiting.id}/handled"
    assert client.post(action).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(InboundMessage, waiting.id).handled_at is None
    response = post_form(client, "/staff/messages/replies", action)
    assert response.status_code == 302
    db.session.expire_all()
    handled = db.session.get(InboundMessage, waiting.id)
    assert handled.handled_at == NOW and handled.handled_by_id == user.id
    page = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "need an answer" not in page
    missing = post_form(client, "/staff/messages/replies", "/staff/messages/replies/999999/handled")
    assert missing.status_code == 404


def test_marking_handled_returns_to_the_filtered_list(client, signed_in):
    signed_in("manager")
    waiting = reply()
    action = f"/staff/messages/replies/{waiting.id}/handled?show=unhandled"
    response = post_form(client, "/staff/messages/replies?show=unhandled", action)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/messages/replies?show=unhandled"


def test_marking_handled_ignores_query_arguments_meant_for_url_for(client, signed_in):
    # url_for takes _method, _scheme, _external and _anchor as its own options, so passing
    # every query argument on let a crafted link make the redirect fail with a 500.
    signed_in("manager")
    waiting = reply()
    action = f"/staff/messages/replies/{waiting.id}/handled?show=unhandled&_method=DELETE"
    response = post_form(client, "/staff/messages/replies?show=unhandled", action)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/messages/replies?show=unhandled"


def test_only_waiting_replies_on_request(client, signed_in):
    signed_in("manager")
    reply(body="Første")
    reply(body="Anden", interpreted_as="yes")
    page = client.get("/staff/messages/replies?show=unhandled").get_data(as_text=True)
    assert "Første" in page and "Anden" not in page


# ---------------------------------------------------------------- segments


def test_danish_letters_are_gsm7_and_fill_160_characters():
    danish = (
        "Påmindelse: Sammen om maden i Æblehaven, kør forsigtigt. Kan du ikke komme? Svar NEJ. "
    )
    info = describe(danish)
    assert info.encoding == "GSM-7" and info.units == len(danish) and info.segments == 1
    assert count_segments("æ" * 160) == 1 and count_segments("æ" * 161) == 2
    assert count_segments("ø" * 306) == 2 and count_segments("ø" * 307) == 3


def test_gsm7_extension_characters_count_double_and_are_never_split():
    assert describe("€" * 80).units == 160 and count_segments("€" * 80) == 1
    assert count_segments("€" * 81) == 2
    # 152 plain characters and a euro sign: 154 septets, but the escape pair may not be
    # split across segments, so the second segment starts with it.
    assert count_segments("a" * 152 + "€" + "a" * 152) == 3
    assert count_segments("a" * 151 + "€" + "a" * 153) == 2


def test_arabic_script_is_ucs2_and_fills_70_characters():
    info = describe("تذكير: الطبخ معًا")
    assert info.encoding == "UCS-2" and info.segments == 1
    assert count_segments("ب" * 70) == 1 and count_segments("ب" * 71) == 2
    assert count_segments("ب" * 134) == 2 and count_segments("ب" * 135) == 3
    assert count_segments("æ" * 10 + "😀") == 1 and describe("😀").units == 2


# ---------------------------------------------------------------- the text preview


def _cells(page: str, language_name: str) -> list[list[str]]:
    """The preview table's rows for one language: [kind, language, text, chars, enc, seg, cost]."""
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        if len(cells) == 7 and cells[1] == language_name:
            found.append(cells)
    return found


def _coming_session(title: dict[str, str]) -> Session:
    activity = Activity(
        slug="sammen-om-maden", title=title, category="food", mode="signup", capacity=10,
        rrule=None, starts_on=date(2026, 12, 1), start_time=time(17), duration_minutes=120,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    starts = NOW + timedelta(days=2)
    session = Session(
        activity=activity, uid="preview-test@havehus", starts_at=starts,
        ends_at=starts + timedelta(hours=2), created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    db.session.add_all([activity, session])
    db.session.commit()
    return session


def test_the_preview_shows_every_kind_in_every_language_with_its_numbers(
    app, client, signed_in, clock
):
    clock.set(NOW)
    change_settings(app, languages=["da", "en", "ar"])
    _coming_session({"da": "Sammen om maden", "en": "Cooking together", "ar": "الطبخ معًا"})
    signed_in("manager")
    page = client.get("/staff/messages/templates").get_data(as_text=True)
    danish, arabic = _cells(page, "Dansk"), _cells(page, "العربية")
    assert len(danish) == len(arabic) == 14
    kinds = " ".join(row[0] for row in danish)
    for kind in ("Bekræftelse", "Påmindelse", "Ændring", "venteliste", "Kode", "Værtsvagt"):
        assert kind in kinds
    reminder = next(row for row in danish if row[0].startswith("Påmindelse"))
    body = reminder[2]
    assert "Sammen om maden" in body and 'svar "NEJ"' in body and "/bookings/" in body
    assert reminder[4] == "GSM-7"
    assert reminder[3] == str(len(body)) and reminder[5] == str(count_segments(body))
    assert reminder[6] == f"{count_segments(body) * 0.35:.2f} kr."
    for row in arabic:
        arabic_script = re.search(r"[\u0600-\u06ff]", row[2]) is not None
        assert row[4] == ("UCS-2" if arabic_script else "GSM-7"), row
    arabic_reminder = next(
        row for row in arabic if "الطبخ معًا" in row[2] and "/bookings/" in row[2]
    )
    assert arabic_reminder[5] == str(count_segments(arabic_reminder[2]))
    assert int(arabic_reminder[5]) >= 2  # over 70 UCS-2 characters
    # Nothing about the sample was saved or changed.
    assert db.session.scalar(db.select(db.func.count(Session.id))) == 1
    assert db.session.scalar(db.select(Session.cancel_reason)) is None


def test_the_preview_works_in_an_empty_house_and_follows_the_sender(app, client, signed_in):
    signed_in("manager")

    def danish_reminder() -> str:
        page = client.get("/staff/messages/templates").get_data(as_text=True)
        return next(row[2] for row in _cells(page, "Dansk") if row[0] == "Påmindelse")

    assert "Sammen om maden" in danish_reminder() and 'svar "NEJ"' in danish_reminder()
    change_settings(app, twilio_from="Havehuset")  # alphanumeric: nobody can reply
    assert "NEJ" not in danish_reminder() and "afmeld her" in danish_reminder()


def test_the_monthly_estimate_is_the_last_30_days_plus_the_queue(app, client, signed_in, clock):
    clock.set(NOW)
    change_settings(app, sms_price_per_segment=0.5)
    signed_in("manager")
    text(status="sent", segments=3, sent_at=NOW - timedelta(days=10))
    text(status="delivered", segments=2, sent_at=NOW - timedelta(days=29))
    text(status="sent", segments=7, sent_at=NOW - timedelta(days=31))  # too old
    text(status="pending", body="a" * 200)  # 2 segments waiting
    text(status="failed", segments=None)  # never sent: costs nothing
    page = client.get("/staff/messages/templates?lang=en").get_data(as_text=True)
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert facts["Segments in the last 30 days"] == "5"
    assert facts["Segments waiting in the outbox"] == "2"
    assert facts["Estimated cost a month"] == "<strong>3.50 kr.</strong>"


# ---------------------------------------------------------------- the reminder's wording


def test_the_reminder_says_reply_nej_unless_the_sender_cannot_receive_replies(app):
    session = Session(
        activity=Activity(title={"da": "Sammen om maden"}, sensitive=False),
        starts_at=NOW + timedelta(days=1),
    )
    with app.test_request_context():
        change_settings(app, twilio_from="+4570700000")
        assert replies_possible(current_settings())
        danish = texts.reminder_text(session, "da", "http://x/b", can_reply=True)
        english = texts.reminder_text(session, "en", "http://x/b", can_reply=True)
        assert 'svar "NEJ"' in danish and "ventelisten" in danish
        assert 'reply "NO"' in english and "waiting list" in english
        change_settings(app, twilio_from="Havehuset")
        assert not replies_possible(current_settings())
        link_only = texts.reminder_text(session, "da", "http://x/b", can_reply=False)
        assert "NEJ" not in link_only and link_only.endswith("http://x/b")
