"""Reading, checking and showing phone numbers (checklist items 13, 29).

Numbers are parsed with libphonenumber against a default region, refused when
they are not valid mobile numbers in an allowed country, and stored as E.164.
Outside the owner's own screens a number is shown masked to its last 2 digits.
"""
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from twostep.errors import PhoneRejected

MAX_INPUT_LENGTH = 32
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_phone(raw, region, allowed_countries):
    """Return the E.164 form of `raw`, or raise PhoneRejected saying why."""
    text = (raw or "").strip()
    if not text:
        raise PhoneRejected("Enter your phone number.")
    if len(text) > MAX_INPUT_LENGTH or any(unicodedata.category(c).startswith("C") for c in text):
        raise PhoneRejected("That does not look like a phone number.") from None
    if sum(c.isdigit() for c in text) > 15:
        raise PhoneRejected("That number has too many digits.")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise PhoneRejected("That does not look like a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneRejected("That phone number is not valid. Check the digits and the country code.")
    country = phonenumbers.region_code_for_number(number)
    if country not in allowed_countries:
        raise PhoneRejected("We cannot send SMS to numbers in that country.")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise PhoneRejected("Enter a mobile phone number that can receive SMS.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164, region):
    """National format for numbers of the default region, international otherwise."""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164):
    """'+81 ••••••••78': the country code and the last 2 digits only (item 23)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    national = str(number.national_number)
    return f"+{number.country_code} {'•' * (len(national) - 2)}{national[-2:]}"
