"""Urdu in a real browser: drawn in Nastaliq (the vendored font), numbers left to right."""

from __future__ import annotations

from tests.browser.conftest import PHONE
from tests.browser.steps import fill_signup_form, next_bookable

#: Where each of two words of an element's text is drawn, left edge in CSS pixels.
WORD_X = """
(el, [first, last]) => {
  const node = [...el.querySelectorAll('*'), el]
    .flatMap(e => [...e.childNodes])
    .find(n => n.nodeType === Node.TEXT_NODE && n.textContent.includes(first + ' '));
  const at = word => {
    const range = document.createRange();
    const start = node.textContent.indexOf(word);
    range.setStart(node, start);
    range.setEnd(node, start + word.length);
    return range.getBoundingClientRect().x;
  };
  return [at(first), at(last)];
}
"""


def test_an_urdu_page_is_drawn_in_nastaliq_and_a_number_reads_left_to_right(
    live_house, open_context
):
    page = open_context(**PHONE).new_page()
    session_id = next_bookable(live_house)
    page.goto(f"/sessions/{session_id}/signup?lang=ur")
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ur", "rtl")

    heading = page.locator("h1").first
    assert heading.evaluate("el => getComputedStyle(el).fontFamily").startswith(
        '"Noto Nastaliq Urdu"'
    )
    # The font really came (from this server, not a CDN) and draws the heading.
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.family.includes('Nastaliq') && f.status === 'loaded')"
        ".length"
    )
    assert loaded >= 1
    assert page.evaluate("document.fonts.check('16px \"Noto Nastaliq Urdu\"', 'اردو')")

    # A wrong number: the example in the message reads 20 12 34 56, left to right.
    fill_signup_form(page, "فاطمہ", "123")
    page.locator("main form button[type=submit]").tap()
    error = page.locator(".field__error, .error, [role=alert]").filter(has_text="20 12").first
    first_x, last_x = error.evaluate(WORD_X, ["20", "56"])
    assert first_x < last_x
