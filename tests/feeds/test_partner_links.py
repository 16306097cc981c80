"""Managers make partner calendar addresses; partners see theirs; revoking stops them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from havehus.config import current_settings
from havehus.extensions import db
from havehus.feeds.partner_feeds import create_partner_feed, own_partner_links, revoke_partner_feed
from havehus.models import AuditEvent, FeedToken
from havehus.people.audit import CLI
from tests.staff_fixtures import post_form, sign_in

NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)


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


def test_a_partner_is_shown_only_their_own_live_addresses(app, make_user):
    partner, other = make_user("partner"), make_user("partner")

    def made(name: str, user, minutes: int) -> FeedToken:
        at = NOW + timedelta(minutes=minutes)
        return create_partner_feed(
            db.session,
            at,
            CLI,
            name=name,
            language="da",
            categories=[],
            partner_id=user.id,
            secret=current_settings().secret_key,
        )

    made("Second", partner, 2)
    made("First", partner, 1)
    revoke_partner_feed(db.session, made("Revoked", partner, 3), NOW, CLI)
    made("Someone else's", other, 4)
    with app.test_request_context():
        house = replace(current_settings(), public_url="https://havehus.example/")
        shown = own_partner_links(db.session, partner, house)
    assert [token.name for token, _link in shown] == ["First", "Second"]
    assert shown[0][1].https.startswith("https://havehus.example/feeds/")
    assert shown[0][1].webcal.startswith("webcal://havehus.example/feeds/")
