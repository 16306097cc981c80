"""Reflow at 320 CSS px (= 200 % text on a 640 px window, 400 % zoom on 1280), touch targets,
right-to-left mirroring, and read-aloud in the page's language."""

from __future__ import annotations

import pytest

from tests.browser.conftest import TABLET
from tests.browser.steps import (
    enrol_as_kiosk,
    horizontal_overflow,
    next_bookable,
    session_on_now,
    small_targets,
)

NARROW = {"viewport": {"width": 320, "height": 640}, "has_touch": True, "is_mobile": True}

# A stand-in for the device's speech engine: one voice per given language, and a record of
# what was said. Headless Chromium has no voices of its own.
FAKE_SPEECH = """
(() => {
  const voices = %s.map(lang => ({lang, name: 'Test ' + lang, default: false, localService: true}));
  window.__spoken = [];
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
  const synth = new EventTarget();
  synth.getVoices = () => voices;
  synth.speak = u => window.__spoken.push({text: u.text, lang: u.lang});
  synth.cancel = () => {};
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
})();
"""


@pytest.mark.parametrize("locale", ["da", "ar"])
def test_public_and_kiosk_pages_reflow_at_320_px(locale, live_house, open_context):
    context = open_context(**NARROW)
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    session_id = next_bookable(live_house)
    paths = [
        f"/?lang={locale}",
        "/activities/sammen-om-maden",
        f"/sessions/{session_id}",
        f"/sessions/{session_id}/signup",
        "/privacy",
        "/kiosk",
        f"/kiosk/sessions/{session_id}/phone",
    ]
    too_wide = {}
    for path in paths:
        page.goto(path)
        if overflow := horizontal_overflow(page):
            too_wide[path] = overflow
    assert not too_wide, f"sideways scrolling (px) at 320 px: {too_wide}"


def test_touch_targets_are_big_enough(live_house, open_context):
    session_id = next_bookable(live_house)
    phone = open_context(viewport={"width": 360, "height": 740}).new_page()
    small = {}
    for path in ("/?lang=da", f"/sessions/{session_id}", f"/sessions/{session_id}/signup"):
        phone.goto(path)
        if found := small_targets(phone, 44, "body"):
            small[path] = found
    tablet_context = open_context(**TABLET)
    enrol_as_kiosk(tablet_context, live_house)
    tablet = tablet_context.new_page()
    kiosk_paths = (
        "/kiosk?lang=da",
        f"/kiosk/sessions/{session_id}",
        f"/kiosk/sessions/{session_on_now(live_house)}",
        f"/kiosk/sessions/{session_id}/phone",
    )
    for path in kiosk_paths:
        tablet.goto(path)
        if found := small_targets(tablet, 64, "body"):
            small[path] = found
    assert not small, small


def test_arabic_pages_mirror(live_house, open_context):
    page = open_context(viewport={"width": 1000, "height": 800}).new_page()
    page.goto("/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # The previous-week arrow points right in Arabic (mirrored), and comes first, at the right.
    previous = page.locator("a[rel=prev]")
    transform = previous.locator(".picto--directional").evaluate(
        "el => getComputedStyle(el).transform"
    )
    assert transform.startswith("matrix(-1")
    following = page.locator("a[rel=next]").bounding_box()
    assert previous.bounding_box()["x"] > following["x"]
    # A card's category stripe is on its start side: the right.
    card = page.locator("article.card").first
    assert float(card.evaluate("el => getComputedStyle(el).borderRightWidth")[:-2]) > float(
        card.evaluate("el => getComputedStyle(el).borderLeftWidth")[:-2]
    )


@pytest.mark.parametrize("locale", ["da", "ar"])
def test_read_aloud_speaks_the_page_in_its_language(locale, live_house, open_context):
    context = open_context(viewport={"width": 1000, "height": 800})
    context.add_init_script(FAKE_SPEECH % '["da-DK", "ar-SA", "en-GB"]')
    page = context.new_page()
    page.goto(f"/activities/sammen-om-maden?lang={locale}")
    button = page.locator("button.read-aloud")
    button.click()
    spoken = page.evaluate("() => window.__spoken")
    assert spoken, "nothing was read"
    assert {part["lang"][:2] for part in spoken} == {page.locator("html").get_attribute("lang")}
    title = page.locator("h1").inner_text()
    assert spoken[0]["text"] == title
    assert button.inner_text().strip() == button.get_attribute("data-label-stop")
    button.click()  # pressed again, it stops
    assert button.inner_text().strip() == button.get_attribute("data-label-read")


def test_read_aloud_is_hidden_without_a_voice_for_the_language(live_house, open_context):
    context = open_context(**TABLET)
    context.add_init_script(FAKE_SPEECH % '["en-GB"]')
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    page.goto("/kiosk?lang=da")
    assert page.locator("button.read-aloud").is_hidden()
    page.goto("/kiosk?lang=en")
    assert page.locator("button.read-aloud").is_visible()


def test_kiosk_warns_before_it_starts_again_and_a_tap_keeps_the_page(live_house, open_context):
    context = open_context(**TABLET)
    enrol_as_kiosk(context, live_house)
    page = context.new_page()
    page.clock.install()
    session_id = next_bookable(live_house)
    page.goto(f"/kiosk/sessions/{session_id}/phone?lang=da")
    notice = page.locator(".kiosk-idle")
    assert notice.is_hidden()
    page.clock.run_for(41_000)
    assert notice.is_visible()
    assert page.evaluate("() => document.activeElement.closest('.kiosk-idle') !== null")
    notice.locator("button").click()
    assert notice.is_hidden()
    page.clock.run_for(59_000)
    assert page.url.endswith(f"/kiosk/sessions/{session_id}/phone?lang=da")
    with page.expect_navigation():
        page.clock.run_for(2_000)
    assert page.url.endswith("/kiosk?lang=da")
