"""The privacy page: who carries the texts, and every retention period, from the settings."""

from __future__ import annotations

import re

import pytest

from havehus.config import RETENTION_SETTINGS, change_settings, settings_of

LANGUAGES = ["da", "en", "ar", "tr", "so", "ur", "uk"]
#: Every period the page shows: the retention settings and how long backups are kept.
SHOWN = (*RETENTION_SETTINGS, "backup_keep")


def _periods(html: str) -> dict[str, str]:
    """Each `data-setting` item of the page's retention list and its text."""
    return dict(re.findall(r'<li data-setting="([a-z_]+)">([^<]*)</li>', html))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_names_twilio_the_safeguard_and_each_period(client, app, lang):
    html = client.get(f"/privacy?lang={lang}").get_data(as_text=True)

    assert "Twilio" in html
    assert html.count("Twilio") >= 3  # the processor, the transfer and its agreement
    shown = _periods(html)
    assert set(shown) == set(SHOWN)
    for key in SHOWN:
        assert str(getattr(settings_of(app), key)) in shown[key], (lang, key)
    if lang != "en":
        assert "Standard Contractual Clauses" not in html  # translated, not left in English


def test_the_page_follows_the_settings(client, app):
    change_settings(app, text_retention_days=45, audit_retention_months=36)
    shown = _periods(client.get("/privacy?lang=en").get_data(as_text=True))
    assert "after 45 days" in shown["text_retention_days"]
    assert "after 36 months" in shown["audit_retention_months"]
    change_settings(app, signup_code_retention_days=1)
    shown = _periods(client.get("/privacy?lang=en").get_data(as_text=True))
    assert "after 1 day." in shown["signup_code_retention_days"]
