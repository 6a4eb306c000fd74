"""Translations for text the rules write themselves (the SMS, the security e-mails), without Flask.

The rules never ask a request which language to use: the caller passes the
locale as a plain value ("en", "ja"). The catalogs are the app's own
(translations/<locale>/LC_MESSAGES/messages.mo), read with Babel directly.
"""
import datetime
import functools
import os
import re
import zoneinfo

from babel import Locale
from babel.dates import format_skeleton, get_timezone_location
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


@functools.lru_cache(maxsize=1)
def time_zones():
    """Every IANA time zone name this machine knows, sorted (the choices on the Account page)."""
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


def zone_name(name, locale):
    """How people of `locale` call the zone: 'Japan Time' / '日本時間', 'United States (Los Angeles) Time'."""
    if not name or name == "UTC":
        return "UTC"
    try:
        return get_timezone_location(name, locale=Locale.parse(str(locale or "en")))
    except LookupError:
        return name


@functools.lru_cache(maxsize=8)
def zone_choices(locale):
    """(IANA name, name in `locale`) for a time zone list, sorted by the name shown.

    One entry per name shown: the aliases (US/Pacific for America/Los_Angeles)
    read the same and are left out, and so are the Etc/GMT±N zones, whose
    signs are the reverse of what they seem.
    """
    seen, choices = set(), []
    for name in time_zones():
        if name.startswith("Etc/"):
            continue
        label = zone_name(name, locale)
        if label not in seen:
            seen.add(label)
            choices.append((name, label))
    return sorted(choices, key=lambda choice: choice[1])


def zone(name):
    """The time zone called `name`, or UTC when the name is unknown."""
    try:
        return zoneinfo.ZoneInfo(name) if name else datetime.timezone.utc
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.timezone.utc


def zone_label(local):
    """The zone of an aware datetime as readers know it: 'JST', 'UTC', 'CET', else 'UTC+05:30'."""
    abbreviation = local.strftime("%Z")
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    offset = local.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"


def local_time(moment, time_zone="UTC"):
    """A naive-UTC datetime (as stored) in the zone called `time_zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(zone(time_zone))


def format_when(moment, locale, time_zone="UTC"):
    """A naive-UTC datetime in the reader's zone, as people of `locale` write it, with the zone:
    'Dec 5, 2026, 22:00 JST' / '2026年12月5日 22:00 JST'.

    The date follows the language (Babel). The time is the same in every
    language and on every page and e-mail: 24-hour, two-digit hours
    ("03:00", not Babel's Japanese "3:00"). The zone is always said, so a time
    can be compared with another zone's (the operator's logs are in UTC).
    """
    if moment is None:
        return ""
    local = local_time(moment, time_zone)
    language = Locale.parse(str(locale or "en"))
    date = format_skeleton("yMMMd", local, tzinfo=local.tzinfo, locale=language)
    time = f"{local:%H:%M} {zone_label(local)}"
    return language.datetime_formats["medium"].replace("{1}", date).replace("{0}", time)


# Event details are stored in English (the operator's logs and CLI read them);
# their known shapes are shown to the user in the user's language.
_UNTIL = re.compile(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_TO = re.compile(r"to (\+?[0-9 •-]+)")


# The detail of a lock that only the recovery code ends (twostep/limits.py).
UNTIL_RECOVERY_DETAIL = "until the recovery code is used"


def event_detail(detail, locale, time_zone="UTC"):
    """'until 2026-12-05 13:00 UTC' / 'to +81 ••••••••78' in `locale` (and the reader's zone); else as stored."""
    if detail == UNTIL_RECOVERY_DETAIL:
        return catalog(locale).gettext("until the recovery code is used")
    match = _UNTIL.fullmatch(detail or "")
    if match:
        moment = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M")
        return catalog(locale).gettext("until %(when)s") % {"when": format_when(moment, locale, time_zone)}
    match = _TO.fullmatch(detail or "")
    if match:
        return catalog(locale).gettext("to %(phone)s") % {"phone": match.group(1)}
    return detail
