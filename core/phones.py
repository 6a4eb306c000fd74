"""Reading, checking and showing phone numbers.

Numbers are parsed with libphonenumber against a default region, refused when
they are not valid mobile numbers in an allowed country, and stored as E.164.
Outside the owner's own screens a number is shown masked to its last 2 digits.
"""
import functools
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from core.refusals import N_, Refused

PHONE_EMPTY = N_("Enter your phone number.")
PHONE_NOT_A_NUMBER = N_("That does not look like a phone number.")
PHONE_TOO_MANY_DIGITS = N_("That number has too many digits.")
PHONE_INVALID = N_("That phone number is not valid. Check the digits and the country code.")
PHONE_COUNTRY = N_("We cannot send SMS to numbers in that country.")
PHONE_NOT_MOBILE = N_("Enter a mobile phone number that can receive SMS.")

MAX_INPUT_LENGTH = 32
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class PhoneRejected(Refused):
    """A number that cannot receive our passcodes; the message says why."""


def parse_phone(raw, region, allowed_countries):
    """Return the E.164 form of `raw`, or raise PhoneRejected saying why."""
    text = (raw or "").strip()
    if not text:
        raise PhoneRejected(PHONE_EMPTY)
    if len(text) > MAX_INPUT_LENGTH or any(unicodedata.category(c).startswith("C") for c in text):
        raise PhoneRejected(PHONE_NOT_A_NUMBER) from None
    if sum(c.isdigit() for c in text) > 15:
        raise PhoneRejected(PHONE_TOO_MANY_DIGITS)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise PhoneRejected(PHONE_NOT_A_NUMBER) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneRejected(PHONE_INVALID)
    country = phonenumbers.region_code_for_number(number)
    if country not in allowed_countries:
        raise PhoneRejected(PHONE_COUNTRY)
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneRejected(PHONE_NOT_MOBILE)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164, region):
    """National format for numbers of the default region, international otherwise."""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


# Pure functions of the number, asked again on every passcode screen and SMS (about 45 and 15 µs
# of libphonenumber each): the answers are kept for the numbers seen lately.
@functools.lru_cache(maxsize=4096)
def mask_phone(e164, region=None):
    """'+81 ••••••••78': the country code and the last 2 digits only.

    With `region` (where the reader's language is at home, e.g. JP for
    Japanese), a number of that region is shown the way people there write
    it, national format, still with only its last 2 digits: '•••-••••-••78'.
    """
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if region and phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        positions = [i for i, c in enumerate(national) if c.isdigit()]
        hidden = set(positions[:-2])
        return "".join("•" if i in hidden else c for i, c in enumerate(national))
    national = str(number.national_number)
    return f"+{number.country_code} {'•' * (len(national) - 2)}{national[-2:]}"


@functools.lru_cache(maxsize=4096)
def country_of(phone):
    """ISO 3166 code of an E.164 number ("ZZ" when unknown): for reports and metric labels, never the number."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone)) or "ZZ"
    except NumberParseException:
        return "ZZ"
