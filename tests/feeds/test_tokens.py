"""Feed tokens: long, random, stored only as a hash, revocable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.feeds.tokens import create_feed_token, find_feed_token, revoke_feed_token
from havehus.models import FeedToken
from tests.feeds.conftest import NOW


def test_a_new_token_is_long_random_and_stored_only_as_its_hash(feed_app):
    token, raw = create_feed_token(
        db.session, "partner", NOW, name="  Røde  Kors ", language="en", categories=["food"]
    )
    db.session.commit()

    assert len(raw) >= 43  # 32 random bytes, URL-safe
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = db.session.execute(db.select(FeedToken.__table__)).one()
    assert raw not in [str(value) for value in stored]
    assert (token.name, token.language, token.categories) == ("Røde Kors", "en", ["food"])


def test_two_tokens_are_never_the_same(feed_app):
    raws = {
        create_feed_token(db.session, "partner", NOW, name="x", language="da")[1] for _ in range(20)
    }
    assert len(raws) == 20


def test_find_returns_the_live_token_of_its_kind_only(feed_app):
    token, raw = create_feed_token(db.session, "partner", NOW, name="x", language="da")
    db.session.commit()

    assert find_feed_token(db.session, raw, "partner") == token
    assert find_feed_token(db.session, raw, "personal") is None
    assert find_feed_token(db.session, raw + "x", "partner") is None

    revoke_feed_token(db.session, token, NOW + timedelta(hours=1))
    revoke_feed_token(db.session, token, NOW + timedelta(hours=2))
    db.session.commit()

    assert find_feed_token(db.session, raw, "partner") is None
    assert token.revoked_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "secret"}, "invalid_kind"),
        ({"language": "xx"}, "invalid_language"),
        ({"categories": ["gardening"]}, "invalid_category"),
        ({"kind": "personal"}, "invalid_participant"),
        ({"kind": "personal", "participant_id": 999}, "invalid_participant"),
    ],
)
def test_bad_token_settings_are_refused_with_a_code(feed_app, fields, code):
    arguments = {"kind": "partner", "name": "x", "language": "da", **fields}
    kind = arguments.pop("kind")

    with pytest.raises(HavehusError) as error:
        create_feed_token(db.session, kind, NOW, **arguments)

    assert error.value.code == code
