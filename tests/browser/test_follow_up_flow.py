"""The follow-up list and contacts on a 360 px phone: a host texts someone who did not come,
and records people they told about the house."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import PHONE
from tests.browser.steps import horizontal_overflow, small_targets, staff_sign_in


def test_a_host_texts_someone_who_did_not_come_and_records_contacts_on_a_phone(
    live_house, open_context, shoot
):
    from havehus.models import Contact, OutboundMessage

    page = open_context(**PHONE).new_page()
    staff_sign_in(page, live_house, "host")
    page.goto("/host?lang=da")
    page.locator("a[href='/host/follow-up']").click()
    page.wait_for_url(re.compile(r"/host/follow-up$"))
    assert horizontal_overflow(page) == 0
    assert small_targets(page, 44, ".follow-up") == []
    shoot(page, "follow-up")

    card = page.locator(".follow-up-card", has_text="Kom ikke").first
    name = card.locator(".follow-up-card__name").inner_text().split("…")[0].strip()
    card.locator("button", has_text="Send en venlig sms").click()
    page.wait_for_url(re.compile(r"/host/follow-up"))
    assert "Sms'en er på vej." in page.locator(".flashes").inner_text()
    texted = page.locator(".follow-up-card", has_text=name).first
    assert "Sms sendt" in texted.inner_text()
    bodies = live_house.read(
        lambda orm: orm.scalars(
            select(OutboundMessage.body).where(OutboundMessage.kind == "follow-up")
        ).all()
    )
    assert len(bodies) == 1 and name in bodies[0]  # in the person's own language
    assert live_house.url in bodies[0] and "maden" not in bodies[0]

    page.goto("/host/contacted")
    assert horizontal_overflow(page) == 0
    page.locator("#count").fill("3")
    page.locator("#channel").select_option("sundhedsformidler")
    page.locator("form.contact-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/host/contacted\?channel=sundhedsformidler"))
    assert "Registreret. Tak!" in page.locator(".flashes").inner_text()
    shoot(page, "contacted")
    counts = live_house.read(lambda orm: orm.scalars(select(Contact.count)).all())
    assert 3 in counts
