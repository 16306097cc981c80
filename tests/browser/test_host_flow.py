"""Host mode on a 360 px phone: tonight's dinner counted in seconds, through a lost connection."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.browser.conftest import PHONE
from tests.browser.steps import (
    dinner_on_now,
    horizontal_overflow,
    small_targets,
    staff_sign_in,
)


def _state(house, session_id: int) -> tuple[dict[str, int], list[str]]:
    from havehus.models import Booking, Tally

    def read(orm):
        counts = dict(
            orm.execute(select(Tally.kind, Tally.count).where(Tally.session_id == session_id)).all()
        )
        statuses = sorted(
            orm.scalars(select(Booking.status).where(Booking.session_id == session_id))
        )
        return counts, statuses

    return house.read(read)


def test_a_host_counts_tonights_dinner_on_a_phone_through_a_lost_connection(
    live_house, open_context, shoot
):
    session_id = dinner_on_now(live_house)
    context = open_context(**PHONE)
    page = context.new_page()
    staff_sign_in(page, live_house, "host")

    page.goto("/host?lang=da")  # the language picker, once (kept in a cookie)
    page.locator(f"a[href='/host/sessions/{session_id}']").click()
    page.wait_for_url(re.compile(rf"/host/sessions/{session_id}$"))
    assert horizontal_overflow(page) == 0
    assert small_targets(page, 44, ".host-sheet") == []

    cards = page.locator(".host-card")
    assert cards.count() == 4
    for index in range(3):  # three people came
        cards.nth(index).get_by_role("button", name="Kom").click()
    page.get_by_role("button", name="+1 barn").click()
    page.locator("[data-sending]").wait_for(state="hidden")

    assert _state(live_house, session_id) == (
        {"children": 1},
        ["attended", "attended", "attended", "confirmed"],
    )
    context.set_offline(True)
    page.get_by_role("button", name="+1 voksen").click()
    page.get_by_role("button", name="+1 voksen").click()
    page.locator("[data-offline]").wait_for(state="visible")
    assert page.locator("[data-count=adults]").inner_text() == "2"  # shown at once
    shoot(page, "host-offline")
    context.set_offline(False)
    page.locator("[data-sending]").wait_for(state="hidden", timeout=20_000)

    page.reload()  # what the server has: each tap once
    assert page.locator("[data-count=adults]").inner_text() == "2"
    assert page.locator("[data-count=children]").inner_text() == "1"
    assert page.locator(".host-card--came").count() == 3
    counts, _statuses = _state(live_house, session_id)
    assert counts == {"adults": 2, "children": 1}

    page.locator(".host-confirm summary").click()
    page.get_by_role("button", name="Ja, luk aktiviteten").click()
    page.wait_for_url(re.compile(rf"/host/sessions/{session_id}$"))
    assert "Kom ikke: 1" in page.content()
    _counts, statuses = _state(live_house, session_id)
    assert statuses == ["attended", "attended", "attended", "no_show"]
    shoot(page, "host-closed")
