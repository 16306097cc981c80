"""Self check-in on a resident's own 360 px phone, seen on the host's phone as it happens."""

from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import PHONE
from tests.browser.steps import (
    check_in_address,
    horizontal_overflow,
    known_person,
    session_on_now,
    small_targets,
    staff_sign_in,
)


def _counts(house, session_id: int) -> tuple[dict[str, int], dict[int, int], list[str]]:
    from havehus.models import Pulse, Tally, Visit

    def read(orm):
        tallies = dict(
            orm.execute(select(Tally.kind, Tally.count).where(Tally.session_id == session_id)).all()
        )
        faces = dict(
            orm.execute(select(Pulse.face, Pulse.count).where(Pulse.session_id == session_id)).all()
        )
        sources = sorted(orm.scalars(select(Visit.source).where(Visit.session_id == session_id)))
        return tallies, faces, sources

    return house.read(read)


def test_a_resident_checks_in_by_qr_and_appears_on_the_hosts_list(live_house, open_context, shoot):
    session_id = session_on_now(live_house)  # the Nørklecafé, which asks how people are
    known_person(live_house, "Fatma Kaya", "+4520123499")
    address = check_in_address(live_house, session_id)
    before, faces_before, sources_before = _counts(live_house, session_id)

    host = open_context(**PHONE).new_page()
    staff_sign_in(host, live_house, "host")
    host.goto(f"/host/sessions/{session_id}?lang=da")
    assert host.locator(".host-card", has_text="Fatma").count() == 0

    resident = open_context(**PHONE).new_page()
    resident.goto(f"{address}?lang=da")  # as the phone's camera opens the printed code
    assert horizontal_overflow(resident) == 0
    assert small_targets(resident, 44) == []
    shoot(resident, "check-in")
    resident.get_by_label("Dit mobilnummer").fill("20 12 34 99")
    resident.get_by_role("button", name="Tjek mig ind", exact=True).click()
    resident.get_by_role("heading", name="Velkommen! Tak fordi du kom.").wait_for()
    assert "Fatma" not in resident.content()  # the page never names anyone
    shoot(resident, "welcome")
    resident.get_by_role("button", name="Godt", exact=True).click()
    resident.get_by_text("Tak fordi du fortalte os det.").wait_for()
    assert horizontal_overflow(resident) == 0

    # The host's sheet asks the server every 15 s and shows the new card by itself.
    host.locator(".host-card", has_text="Fatma").wait_for(timeout=40_000)
    card = host.locator(".host-card", has_text="Fatma")
    assert "tjekket ind" in card.inner_text()
    assert host.locator('[data-pulse="4"]').inner_text() == str(faces_before.get(4, 0) + 1)
    shoot(host, "host-sees-the-check-in")

    tallies, faces, sources = _counts(live_house, session_id)
    assert sources == sorted([*sources_before, "qr"])
    assert faces.get(4, 0) == faces_before.get(4, 0) + 1
    assert tallies == before  # a known number is a named visit, not a count

    other = open_context(**PHONE).new_page()
    other.goto(f"{address}?lang=ar")
    assert other.locator("html").get_attribute("dir") == "rtl"
    other.get_by_role("button", name="أنا هنا", exact=True).click()
    other.locator(".check-in__welcome").wait_for()
    expected = str(before.get("adults", 0) + 1)
    host.wait_for_function(  # counted anonymously, and shown on the host's sheet in place
        "want => document.querySelector('[data-count=adults]').textContent.trim() === want",
        arg=expected,
        timeout=40_000,
    )
