"""axe-core over every page type, in Danish and in Arabic: no serious or critical violation.

axe is injected into the page by Playwright, so these contexts bypass the Content-Security-
Policy (the pages themselves never need inline script; the flow tests keep the CSP on).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, TABLET
from tests.browser.steps import (
    axe_violations,
    check_in_address,
    dinner_on_now,
    enrol_as_kiosk,
    enter_texted_code,
    fill_signup_form,
    next_bookable,
    session_on_now,
    staff_sign_in,
    submit,
)

LOCALES = ["da", "ar"]


class Audit:
    """Collects axe's findings page by page, so one run reports every page at once."""

    def __init__(self, page, shoot, locale: str) -> None:
        self.page, self.shoot, self.locale = page, shoot, locale
        self.checked: list[str] = []
        self.problems: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        assert self.page.locator("html").get_attribute("lang"), self.page.url
        if self.page.locator("h1").count() != 1:
            self.problems.append(f"{self.page.url}: not exactly one h1")
        self.problems += axe_violations(self.page)
        self.checked.append(name)
        self.shoot(self.page, name)

    def visit(self, name: str, path: str) -> None:
        self.page.goto(path)
        self.check(name)

    def finish(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_public_pages_have_no_serious_axe_violations(locale, live_house, open_context, shoot):
    page = open_context(bypass_csp=True, **PHONE).new_page()
    audit = Audit(page, shoot, locale)
    session_id = next_bookable(live_house)
    phone = "2233 4400" if locale == "da" else "2233 4401"

    audit.visit("week", f"/?lang={locale}")
    assert page.locator("html").get_attribute("lang") == locale or locale != "da"
    audit.visit("activity", "/activities/sammen-om-maden")
    audit.visit("session", f"/sessions/{session_id}")
    audit.visit("signup-form", f"/sessions/{session_id}/signup")
    submit(page)  # empty: the errors are shown and tied to their fields
    audit.check("signup-form-errors")
    fill_signup_form(page, "Amal", phone)
    submit(page)
    enter_texted_code(page, live_house, phone.replace(" ", "")[-8:])
    audit.check("code")
    submit(page)
    page.wait_for_url(re.compile(r"/bookings/"))
    audit.check("booking")
    booking_url = page.url
    my_bookings = page.locator("a[href*='/me/']")
    if my_bookings.count():
        my_bookings.first.click()
        audit.check("my-bookings")
    page.goto(booking_url)
    page.locator("a[href$='/cancel']").click()
    audit.check("cancel-confirm")
    audit.visit("privacy", "/privacy")
    audit.visit("calendar", "/calendar")
    page.goto("/no-such-page")
    audit.check("not-found")
    audit.finish()
    assert len(audit.checked) >= 12


@pytest.mark.parametrize("locale", LOCALES)
def test_check_in_pages_have_no_serious_axe_violations(locale, live_house, open_context, shoot):
    """A session's QR code on a resident's phone: the page, its errors, the welcome with the
    five faces, the thanks; and a code scanned before the session (the kind message)."""
    page = open_context(bypass_csp=True, **PHONE).new_page()
    audit = Audit(page, shoot, locale)
    address = check_in_address(live_house, session_on_now(live_house))

    audit.visit("check-in", f"{address}?lang={locale}")
    page.locator("form.check-in__number button[type=submit]").click()  # no number: an error
    audit.check("check-in-error")
    page.locator("form.check-in__here button[type=submit]").click()
    page.locator(".pulse").wait_for()
    audit.check("check-in-welcome")
    page.locator(".pulse__face").nth(3).click()
    page.locator(".check-in__thanks").wait_for()
    audit.check("check-in-thanks")
    audit.visit("check-in-not-yet", check_in_address(live_house, next_bookable(live_house)))
    audit.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_kiosk_pages_have_no_serious_axe_violations(locale, live_house, open_context, shoot):
    context = open_context(bypass_csp=True, **TABLET)
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    audit = Audit(page, shoot, locale)
    session_id = next_bookable(live_house)

    audit.visit("kiosk-start", f"/kiosk?lang={locale}")
    audit.visit("kiosk-session", f"/kiosk/sessions/{session_id}")
    audit.visit("kiosk-drop-in-now", f"/kiosk/sessions/{session_on_now(live_house)}")
    audit.visit("kiosk-phone", f"/kiosk/sessions/{session_id}/phone")
    page.locator("button[name=step][value=next]").click()  # no number: an error
    audit.check("kiosk-phone-error")
    page.locator("button[name=step][value=no_phone]").click()
    page.wait_for_url(re.compile(r"/name"))
    audit.check("kiosk-name")
    page.locator("#kiosk-name").fill("Hodan" if locale == "da" else "Layla")
    submit(page, "form.kiosk-form")
    page.wait_for_url(re.compile(r"/kiosk/done"))
    audit.check("kiosk-done")
    audit.visit("kiosk-here", f"/kiosk/sessions/{session_on_now(live_house)}/here")
    page.locator("button[name=step][value=next]").click()  # no number: an error
    audit.check("kiosk-here-error")
    page.locator("button[name=step][value=anonymous]").click()
    page.wait_for_url(re.compile(r"/kiosk/here/welcome"))
    audit.check("kiosk-here-welcome")
    page.locator(".pulse__face").first.click()
    page.locator(".pulse").wait_for(state="detached")
    audit.check("kiosk-pulse-thanks")
    audit.finish()


@pytest.mark.parametrize("locale", LOCALES)
def test_staff_pages_have_no_serious_axe_violations(locale, live_house, open_context, shoot):
    session_id = next_bookable(live_house)
    host = open_context(bypass_csp=True, **DESKTOP).new_page()
    audit = Audit(host, shoot, locale)
    audit.visit("staff-login", f"/staff/login?lang={locale}")
    staff_sign_in(host, live_house, "host")
    audit.check("host-overview")
    audit.visit("host-week", "/staff/week")
    # Host mode speaks the host's language (Arabic right to left), unlike the rest of /staff.
    audit.visit("host-mode", f"/host?lang={locale}")
    audit.visit("host-sheet", f"/host/sessions/{dinner_on_now(live_house)}?lang={locale}")
    audit.visit("host-follow-up", f"/host/follow-up?lang={locale}")
    assert host.locator(".follow-up-card").count() > 0  # the demo's past weeks have no-shows
    audit.visit("host-contacted", f"/host/contacted?lang={locale}&q=a")
    submit(host, "form.contact-form")  # a count of 1 by the default channel
    audit.check("host-contacted-recorded")
    audit.visit("host-sheet-pulse", f"/host/sessions/{session_on_now(live_house)}?lang={locale}")
    audit.finish()

    manager = open_context(bypass_csp=True, **DESKTOP).new_page()
    audit = Audit(manager, shoot, locale)
    manager.goto(f"/staff/login?lang={locale}")
    staff_sign_in(manager, live_house, "manager")
    audit.check("staff-overview")
    audit.visit("planner-week", "/staff/week")
    audit.visit("activities", "/staff/activities")
    audit.visit("activity-form", "/staff/activities/new")
    submit(manager, "form.planner-form")  # empty: the errors are shown and tied to their fields
    audit.check("activity-form-errors")
    audit.visit("planner-session", f"/staff/sessions/{session_id}")
    audit.visit("session-bookings", f"/staff/sessions/{session_id}/bookings")
    audit.visit("manager-follow-up", "/host/follow-up")
    audit.visit("reports", "/staff/reports?by=department")
    audit.visit("reports-errors", "/staff/reports?period=custom&from=2026-02-30&to=x")
    audit.visit("report-targets", "/staff/reports/targets")
    submit(manager, "form[action*='/staff/reports/targets']:has(#amount)")  # empty: errors shown
    audit.check("report-targets-errors")
    audit.visit("report-register", "/staff/reports/register")
    audit.visit("report-follow-up", "/staff/reports/register/follow-up")
    audit.visit("report-years", "/staff/reports/years")
    messages = manager.locator("nav.staff-nav a[href$='/messages']")
    if messages.count():  # the messaging pages, where this build has them
        outbox = messages.first.get_attribute("href")
        audit.visit("messages", outbox)
        audit.visit("message-texts", f"{outbox}/templates")
    audit.finish()
