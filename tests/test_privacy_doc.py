"""docs/privacy.md's retention table is the settings' table, and names every period."""

from __future__ import annotations

import re
from pathlib import Path

from havehus.config import RETENTION_SETTINGS, load_settings, settings_of
from havehus.people.retention import ENDS, retention_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"


def test_the_documents_retention_table_equals_the_default_settings():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- retention-table -->\n(.*?)<!-- /retention-table -->", text, re.S)
    assert block, "docs/privacy.md lost its retention-table markers"
    expected = retention_table(load_settings(environ={}))
    assert block.group(1) == expected, "run `havehus retention-table` and paste its output"


def test_every_retention_setting_has_a_line():
    assert set(ENDS) == {*RETENTION_SETTINGS, "backup_keep"}


def test_the_table_follows_the_settings():
    table = retention_table(load_settings(environ={"HAVEHUS_TEXT_RETENTION_DAYS": "1"}))
    assert "| `text_retention_days` | 1 day after the text |" in table


def test_the_command_prints_the_table(app):
    result = app.test_cli_runner().invoke(args=["retention-table"])
    assert result.exit_code == 0 and result.output == retention_table(settings_of(app))
