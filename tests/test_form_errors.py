"""A service's error lands next to the form field it is about; the rest becomes a flash."""

from __future__ import annotations

from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField

from havehus.errors import HavehusError
from havehus.form_errors import show_errors


class _PlaceForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    room = StringField()


def _shown(app, error: HavehusError, **mapping):
    with app.test_request_context("/"):
        form = _PlaceForm()
        show_errors(form, error, **mapping)
        return form.errors, get_flashed_messages()


def test_field_errors_go_next_to_the_form_fields_the_service_names(app):
    error = HavehusError("Fix it.", "invalid", fields={"name": "Too long.", "room_id": "Unknown."})
    errors, flashed = _shown(app, error, fields={"room_id": "room"})
    assert errors == {"name": ["Too long."], "room": ["Unknown."]}
    assert flashed == []


def test_an_error_code_can_name_the_field(app):
    errors, flashed = _shown(app, HavehusError("Taken.", "exists"), codes={"exists": "name"})
    assert errors == {"name": ["Taken."]}
    assert flashed == []


def test_what_no_field_shows_becomes_one_flash(app):
    error = HavehusError("Fix it.", "invalid", fields={"colour": "Not a colour."})
    errors, flashed = _shown(app, error)
    assert errors == {}
    assert flashed == ["Fix it. Not a colour."]


def test_an_error_without_fields_is_flashed(app):
    errors, flashed = _shown(app, HavehusError("Someone else changed it.", "conflict"))
    assert errors == {}
    assert flashed == ["Someone else changed it."]
