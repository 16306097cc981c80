"""Light pages: no third-party request, at most 150 KB before photos, and no JavaScript needed."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.steps import enrol_as_kiosk, fill_signup_form, next_bookable

BUDGET = 150 * 1024
#: What each page weighed in the last run, for the report (bytes before photos).
MEASURED: dict[str, int] = {}


def _transferred(page, path: str) -> tuple[int, list[str]]:
    """Load `path` in a fresh page; the bytes received (headers + bodies) and the addresses."""
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    total = 0
    for request in finished:
        if "/photos/" in request.url:
            continue
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total, [request.url for request in finished]


@pytest.mark.parametrize(
    ("name", "path", "device"),
    [("week", "/?lang=da", PHONE), ("week-ar", "/?lang=ar", PHONE), ("kiosk", "/kiosk", TABLET)],
)
def test_page_is_light_and_local(name, path, device, live_house, open_context):
    context = open_context(**device)
    if name == "kiosk":
        enrol_as_kiosk(context, live_house)
    total, addresses = _transferred(context.new_page(), path)
    MEASURED[name] = total
    print(f"{name}: {total / 1024:.1f} KB in {len(addresses)} requests")
    assert total <= BUDGET, f"{name} weighs {total / 1024:.1f} KB: {addresses}"
    assert all(a.startswith(live_house.url) for a in addresses), addresses
    assert not context.traffic.foreign


def test_week_page_and_sign_up_work_without_javascript(live_house, open_context, shoot):
    page = open_context(java_script_enabled=False, **PHONE).new_page()
    page.goto("/?lang=da")
    assert page.locator("a.card__link").count() > 0
    shoot(page, "week")
    session_id = next_bookable(live_house)
    page.goto(f"/sessions/{session_id}")
    assert page.locator(".read-aloud").is_hidden()  # offered only with JavaScript and a voice
    page.locator(f"a[href='/sessions/{session_id}/signup']").click()
    fill_signup_form(page, "Ayaan", "2233 4440")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/signup/code$"))
    page.locator("#code").fill(live_house.latest_code("22334440"))
    shoot(page, "code")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/bookings/"))
    shoot(page, "booked")


def test_kiosk_number_pad_works_without_javascript(live_house, open_context, shoot):
    context = open_context(java_script_enabled=False, **TABLET)
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    session_id = next_bookable(live_house)
    page.goto(f"/kiosk/sessions/{session_id}/phone?lang=da")
    for digit in "22334450":  # each tap is a round trip to the server
        with page.expect_navigation():
            page.locator(f"button[name=digit][value='{digit}']").tap()
    assert page.locator(".kiosk-display__value").inner_text().endswith("50")
    shoot(page, "number")
    page.locator("button[name=step][value=next]").tap()
    page.wait_for_url(re.compile(r"/name$"))
    page.locator("#kiosk-name").fill("Warsan")
    page.locator("form.kiosk-form button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/kiosk/done$"))
    shoot(page, "booked")
