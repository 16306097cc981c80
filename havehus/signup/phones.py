"""Phone numbers: typed by people in many ways, stored as E.164."""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from flask_babel import gettext as _
from phonenumbers import NumberParseException, PhoneNumberType

from havehus.errors import HavehusError
from havehus.i18n import left_to_right_here

#: Numbers that cost the house money or reach no person are refused.
_REFUSED_TYPES = {
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
    PhoneNumberType.PAGER,
}


def normalise_phone(raw: str, regions: Sequence[str]) -> str:
    """E.164 of a number typed with or without +45, spaces or dashes; HavehusError if unusable.

    Numbers without a country code are read as the first allowed region's (Denmark).
    """
    text = raw.strip()
    if not text:
        raise HavehusError(_("Write your mobile number."), "invalid_phone")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, regions[0] if regions else "DK")
    except NumberParseException:
        raise HavehusError(
            _(
                "This is not a phone number. Write it like %(example)s.",
                example=left_to_right_here("20 12 34 56"),
            ),
            "invalid_phone",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise HavehusError(
            _(
                "This is not a phone number. Write it like %(example)s.",
                example=left_to_right_here("20 12 34 56"),
            ),
            "invalid_phone",
        )
    region = phonenumbers.region_code_for_number(number)
    if region not in regions:
        raise HavehusError(
            _("We can only send text messages to numbers from: %(regions)s.",
              regions=", ".join(regions)),
            "invalid_phone",
        )  # fmt: skip
    if phonenumbers.number_type(number) in _REFUSED_TYPES:
        raise HavehusError(_("Please give a mobile number."), "invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def last_four(phone: str | None) -> str:
    """The last four digits, the way staff find a person without seeing the whole number."""
    return phone[-4:] if phone else ""
