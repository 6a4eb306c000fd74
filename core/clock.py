"""The one clock the rules read, so tests can move time forward.

Expiry, cooldowns, caps and lockouts all compare against `now()`, and every
row's `created_at` default (models.utcnow) reads it too. Tests use
`advance()` (through the `clock` fixture) instead of sleeping, and `set()` to
run at a chosen hour of the day, whatever the machine's clock says.
"""
import datetime

_offset = datetime.timedelta(0)


def _wall():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def now():
    """Naive UTC time, as stored in the database."""
    return _wall() + _offset


def advance(seconds):
    """Move the clock forward by `seconds` (tests only)."""
    global _offset
    _offset += datetime.timedelta(seconds=seconds)


def set(moment):  # noqa: A001 - clock.set(...) reads naturally at the call site
    """Make `now()` read the naive-UTC `moment` from here on; the clock keeps running (tests only)."""
    global _offset
    _offset = moment - _wall()


def reset():
    global _offset
    _offset = datetime.timedelta(0)
