"""Which wording of each consent is current, and when a new wording asks again.

A consent is recorded with the version of the words the person agreed to. When the words of
a consent change, the law asks for it again where the consent itself is the ground: an
explicit consent to register a health appointment (GDPR art. 9(2)(a)) and a consent to news
texts (marketing, art. 6(1)(a) and the Danish Marketing Practices Act § 10) count only in
their current wording; until the person agrees again, an older one is as if not given. Texts
about a person's own bookings rest on the booking itself, so an older SMS wording stays
valid.

To change a wording: change the text the person reads, then its version here. Giving the new
version withdraws the older one at that moment, so the person's history (their record, see
signup/my_record.py) shows each version given and withdrawn.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from havehus.models import Consent

#: The current version of each consent's wording (the date its words last changed).
CURRENT_WORDING: dict[str, str] = {
    "sms": "sms-2026-03",
    "health": "health-2026-03",
    "marketing": "marketing-2026-03",
}
#: Consents that count only in their current wording: a new wording asks again.
ASK_AGAIN = frozenset({"health", "marketing"})


def live(kind: str) -> ColumnElement[bool]:
    """The consents of `kind` that count now: not withdrawn, and in the current wording
    where a new wording asks again."""
    condition = and_(Consent.kind == kind, Consent.withdrawn_at.is_(None))
    if kind in ASK_AGAIN:
        condition = and_(condition, Consent.wording_version == CURRENT_WORDING[kind])
    return condition
