"""The one clock the rules read, so tests can move time forward.

Expiry, cooldowns, caps and lockouts all compare against `now()`, and every
row's `created_at` default (models.utcnow) reads it too. Tests use
`advance()` (through the `clock` fixture) instead of sleeping, `set()` to
run at a chosen hour of the day, whatever the machine's clock says, and
`freeze()` where a rule depends on the exact moment (an authenticator app's
30-second time steps).
"""
import datetime

_offset = datetime.timedelta(0)
_frozen = None


def _wall():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def now():
    """Naive UTC time, as stored in the database."""
    if _frozen is not None:
        return _frozen + _offset
    return _wall() + _offset


def advance(seconds):
    """Move the clock forward by `seconds` (tests only)."""
    global _offset
    _offset += datetime.timedelta(seconds=seconds)


def set(moment):  # noqa: A001 - clock.set(...) reads naturally at the call site
    """Make `now()` read the naive-UTC `moment` from here on; the clock keeps running (tests only)."""
    global _offset, _frozen
    _frozen = None
    _offset = moment - _wall()


def freeze(moment):
    """Stop the clock at the naive-UTC `moment`; only `advance()` moves it then (tests only)."""
    global _frozen, _offset
    _frozen, _offset = moment, datetime.timedelta(0)


def reset():
    global _offset, _frozen
    _offset = datetime.timedelta(0)
    _frozen = None
