"""Translations for text the rules write themselves (the SMS, the security e-mails), without Flask.

The rules never ask a request which language to use: the caller passes the
locale as a plain value ("en", "ja"). The catalogs are the app's own
(translations/<locale>/LC_MESSAGES/messages.mo), read with Babel directly.
"""
import datetime
import functools
import os
import re

from babel import Locale
from babel.dates import format_skeleton
from babel.support import NullTranslations, Translations

DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


@functools.lru_cache(maxsize=8)
def catalog(locale):
    """The catalog for `locale` (English, the msgids themselves, when there is none)."""
    if not locale or str(locale) == "en":
        return NullTranslations()
    return Translations.load(DIRECTORY, [str(locale)])


# The region whose national phone format reads naturally in each language (masked numbers, views/i18n.py).
HOME_REGION = {"ja": "JP"}


def format_when(moment, locale):
    """A naive-UTC datetime as people of `locale` write it: 'Dec 5, 2026, 03:00' / '2026年12月5日 03:00'.

    The date follows the language (Babel). The time is the same in every
    language and on every page and e-mail: 24-hour, two-digit hours
    ("03:00", not Babel's Japanese "3:00"), since it is a UTC reference time
    readers compare with other UTC times (logs, the operator's CLI).
    """
    if moment is None:
        return ""
    utc = datetime.timezone.utc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=utc)
    moment = moment.astimezone(utc)
    language = Locale.parse(str(locale or "en"))
    date = format_skeleton("yMMMd", moment, tzinfo=utc, locale=language)
    time = f"{moment:%H:%M}"
    return language.datetime_formats["medium"].replace("{1}", date).replace("{0}", time)


# Event details are stored in English (the operator's logs and CLI read them);
# their known shapes are shown to the user in the user's language.
_UNTIL = re.compile(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_TO = re.compile(r"to (\+?[0-9 •-]+)")


# The detail of a lock that only the recovery code ends (twostep/limits.py).
UNTIL_RECOVERY_DETAIL = "until the recovery code is used"


def event_detail(detail, locale):
    """'until 2026-12-05 13:00 UTC' / 'to +81 ••••••••78' in `locale`; anything else as stored."""
    if detail == UNTIL_RECOVERY_DETAIL:
        return catalog(locale).gettext("until the recovery code is used")
    match = _UNTIL.fullmatch(detail or "")
    if match:
        moment = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M")
        return catalog(locale).gettext("until %(when)s (UTC)") % {"when": format_when(moment, locale)}
    match = _TO.fullmatch(detail or "")
    if match:
        return catalog(locale).gettext("to %(phone)s") % {"phone": match.group(1)}
    return detail
