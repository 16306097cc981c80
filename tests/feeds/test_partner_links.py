"""Managers make partner calendar addresses; partners see theirs; revoking stops them."""

from __future__ import annotations

import re

from sqlalchemy import select

from havehus.extensions import db
from havehus.models import AuditEvent, FeedToken
from tests.staff_fixtures import post_form, sign_in


def _address(page: str) -> str:
    return re.search(r'value="https?://[^"]+(/feeds/[^"]+\.ics)"', page).group(1)


def test_a_manager_makes_an_address_the_partner_then_sees(app, client, signed_in, make_user):
    signed_in("manager")
    partner = make_user("partner", name="Social Sundhed")
    response = post_form(
        client, "/staff/feeds", name="Social Sundhed", partner=str(partner.id), language="da",
        categories=["health", "food"],
    )  # fmt: skip
    assert response.status_code == 302
    token = db.session.scalar(select(FeedToken))
    assert token.kind == "partner" and token.categories == ["health", "food"]
    assert token.staff_user_id == partner.id
    listing = client.get("/staff/feeds").get_data(as_text=True)
    path = _address(listing)

    partner_client = app.test_client()
    sign_in(partner_client, partner.email)
    dashboard = partner_client.get("/staff/").get_data(as_text=True)
    assert _address(dashboard) == path  # the same address, shown again
    assert partner_client.get(path).status_code == 200


def test_revoking_an_address_stops_it(client, signed_in):
    signed_in("manager")
    post_form(client, "/staff/feeds", name="Kommunen", partner="0", language="da")
    path = _address(client.get("/staff/feeds").get_data(as_text=True))
    assert client.get(path).status_code == 200
    token = db.session.scalar(select(FeedToken))
    post_form(client, "/staff/feeds", f"/staff/feeds/{token.id}/revoke")
    assert client.get(path).status_code == 404
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"feed.create", "feed.revoke"} <= actions


def test_a_name_is_needed(client, signed_in):
    signed_in("manager")
    response = post_form(client, "/staff/feeds", name="", partner="0", language="da")
    assert response.status_code == 400
    assert db.session.scalar(select(FeedToken)) is None
