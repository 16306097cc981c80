"""End to end, as a new person would do it: on a phone, on the kiosk, as a host and a manager.

Every step is saved as a screenshot under tests/browser/screenshots/ for review.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.browser.conftest import DESKTOP, PHONE, TABLET
from tests.browser.steps import (
    enrol_as_kiosk,
    enter_texted_code,
    fill_signup_form,
    horizontal_overflow,
    next_bookable,
    session_on_now,
    staff_sign_in,
)


def _show_session(page, session_id: int) -> None:
    """From the week page, follow the week links until the session's card is there; open it."""
    card = page.locator(f"a.card__link[href='/sessions/{session_id}']")
    for _week in range(6):
        if card.count():
            break
        with page.expect_navigation():
            page.locator("a[rel=next]").first.tap()
    card.first.click()
    page.wait_for_url(re.compile(rf"/sessions/{session_id}$"))


def test_a_phone_signs_up_for_sammen_om_maden_in_arabic(live_house, open_context, shoot):
    page = open_context(**PHONE).new_page()
    session_id = next_bookable(live_house)

    page.goto("/?lang=ar")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert horizontal_overflow(page) == 0
    shoot(page, "week")
    _show_session(page, session_id)
    shoot(page, "session")
    page.locator(f"a[href='/sessions/{session_id}/signup']").tap()
    page.wait_for_url(re.compile(r"/signup$"))
    shoot(page, "form")

    # Mirrored: the tick box stands to the right of its words, the number reads left to right.
    box = page.locator("#sms_consent").bounding_box()
    words = page.locator("label[for=sms_consent]").bounding_box()
    assert box["x"] > words["x"]
    assert page.locator("#phone").evaluate("el => getComputedStyle(el).direction") == "ltr"

    fill_signup_form(page, "ليلى", "2233 4410")
    shoot(page, "form-filled")
    page.locator("main form button[type=submit]").tap()
    enter_texted_code(page, live_house, "22334410")
    shoot(page, "code")
    page.locator("main form button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/bookings/"))
    assert page.locator("h1").count() == 1
    assert page.locator("a[href$='/cancel']").count() == 1
    shoot(page, "booked")


def test_the_kiosk_signs_up_and_checks_in_by_touch(live_house, open_context, shoot):
    from havehus.models import Booking, Tally

    context = open_context(**TABLET)
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    session_id = next_bookable(live_house)

    page.goto("/kiosk?lang=da")
    shoot(page, "start")
    card = page.locator(f"a[href='/kiosk/sessions/{session_id}']")
    if card.count():
        card.first.tap()
    else:  # further ahead than the kiosk's coming days
        page.goto(f"/kiosk/sessions/{session_id}")
    shoot(page, "session")
    page.locator(f"a[href='/kiosk/sessions/{session_id}/phone']").tap()
    page.wait_for_url(re.compile(r"/phone$"))
    for digit in "22334420":
        page.locator(f"button[name=digit][value='{digit}']").tap()
    assert page.locator(".kiosk-display__value").inner_text().endswith("20")
    shoot(page, "number")
    page.locator("button[name=step][value=next]").tap()
    page.wait_for_url(re.compile(r"/name$"))
    page.locator("#kiosk-name").fill("Hodan")
    page.locator("#kiosk-sms").tap()
    shoot(page, "name")
    page.locator("form.kiosk-form button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/kiosk/done$"))
    shoot(page, "booked")
    booked = live_house.read(
        lambda orm: orm.scalar(
            select(func.count()).where(Booking.session_id == session_id, Booking.source == "kiosk")
        )
    )
    assert booked >= 1

    now_id = session_on_now(live_house)

    def adults(orm):
        return orm.scalar(
            select(func.coalesce(func.sum(Tally.count), 0)).where(Tally.session_id == now_id)
        )

    before = live_house.read(adults)
    page.goto("/kiosk")
    page.locator(f"a[href='/kiosk/sessions/{now_id}/here']").tap()
    page.wait_for_url(re.compile(r"/here$"))
    shoot(page, "here-pad")
    page.locator("button[name=step][value=anonymous]").tap()  # a walk-in without a number
    page.wait_for_url(re.compile(r"/kiosk/here/welcome$"))
    shoot(page, "here")
    assert live_house.read(adults) == before + 1
    page.locator(".pulse__face").nth(4).tap()  # the Nørklecafé asks how people are
    page.locator("h1", has_text="Tak fordi du fortalte os det.").wait_for()


def test_a_host_sees_the_week_on_a_phone(live_house, open_context, shoot):
    # There is no attendance list for hosts yet; the host's week is what a host uses today.
    page = open_context(**PHONE).new_page()
    staff_sign_in(page, live_house, "host")
    shoot(page, "overview")
    page.goto("/staff/week")
    assert page.locator(".shift").count() > 0
    assert horizontal_overflow(page) == 0
    shoot(page, "week")
    with page.expect_navigation():
        page.locator("a.shift").first.tap()
    assert page.locator("h1").count() == 1
    shoot(page, "session")


def test_a_manager_creates_an_activity(live_house, open_context, shoot):
    page = open_context(**DESKTOP).new_page()
    staff_sign_in(page, live_house, "manager")
    page.goto("/staff/activities/new")
    shoot(page, "empty-form")
    page.locator("#title_da").fill("Cykelværksted")
    page.locator("#title_en").fill("Bike repair")
    page.locator("#slug").fill("cykelvaerksted")
    page.locator("#category").select_option("other")
    page.locator("#start_time").fill("16:00")
    page.locator("#end_time").fill("18:00")
    shoot(page, "filled")
    with page.expect_navigation():
        page.locator("button[name=save]").click()
    assert page.locator(".field__error").count() == 0, page.locator(
        ".field__error"
    ).all_inner_texts()
    assert not page.url.endswith("/new")
    shoot(page, "saved")
    page.goto("/activities/cykelvaerksted?lang=da")
    assert page.locator("h1").inner_text() == "Cykelværksted"
    shoot(page, "public")


def test_signing_up_with_the_keyboard_only(live_house, open_context, shoot):
    page = open_context(**DESKTOP).new_page()
    session_id = next_bookable(live_house)
    page.goto(f"/sessions/{session_id}?lang=da")

    def focused(attribute: str = "outerHTML") -> str:
        return page.evaluate(f"() => document.activeElement.{attribute} || ''")

    def tab_to(selector: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
                assert style != "none", f"no visible focus on {focused()[:80]}"
                return
        raise AssertionError(f"Tab never reached {selector}")

    page.keyboard.press("Tab")
    assert focused("className") == "skip-link"
    shoot(page, "skip-link")
    tab_to(f"a[href='/sessions/{session_id}/signup']")
    shoot(page, "focus-on-sign-up")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/signup$"))
    tab_to("#name")
    page.keyboard.type("Nasra")
    tab_to("#phone")
    page.keyboard.type("22334430")
    tab_to("#sms_consent")
    page.keyboard.press("Space")
    assert page.locator("#sms_consent").is_checked()
    tab_to("main form button[type=submit]")
    shoot(page, "form")
    page.keyboard.press("Enter")
    enter_texted_code(page, live_house, "22334430")
    page.locator("#code").fill("")
    tab_to("#code")
    page.keyboard.type(live_house.latest_code("22334430"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/bookings/"))
    shoot(page, "booked")
    # Cancelling, too, is reachable without a mouse.
    tab_to("a[href$='/cancel']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cancel$"))
    tab_to("main form button[type=submit]")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/bookings/[^/]+$"))
    shoot(page, "cancelled")
