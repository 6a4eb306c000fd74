"""The one clock the rules read, so tests can move time forward.

Expiry, cooldowns, caps and lockouts all compare against `now()`. Tests use
`advance()` (through the `clock` fixture) instead of sleeping, and `freeze()`
where a rule depends on the exact moment (an authenticator app's 30-second
time steps).
"""
import datetime

_offset = datetime.timedelta(0)
_frozen = None


def now():
    """Naive UTC time, as stored in the database."""
    if _frozen is not None:
        return _frozen + _offset
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + _offset


def advance(seconds):
    """Move the clock forward by `seconds` (tests only)."""
    global _offset
    _offset += datetime.timedelta(seconds=seconds)


def freeze(moment):
    """Stop the clock at `moment` (naive UTC); `advance()` still moves it (tests only)."""
    global _frozen, _offset
    _frozen, _offset = moment, datetime.timedelta(0)


def reset():
    global _offset, _frozen
    _offset = datetime.timedelta(0)
    _frozen = None
