"""The one clock the rules read, so tests can move time forward.

Expiry, cooldowns, caps and lockouts all compare against `now()`. Tests use
`advance()` (through the `clock` fixture) instead of sleeping.
"""
import datetime

_offset = datetime.timedelta(0)


def now():
    """Naive UTC time, as stored in the database."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + _offset


def advance(seconds):
    """Move the clock forward by `seconds` (tests only)."""
    global _offset
    _offset += datetime.timedelta(seconds=seconds)


def reset():
    global _offset
    _offset = datetime.timedelta(0)
