"""The one clock the rules read, so tests can move time forward.

Expiry, cooldowns, caps and lockouts all compare against `now()`, and every
row's `created_at` default (models.utcnow) reads it too. Tests use
`advance()` (through the `clock` fixture) instead of sleeping, `set()` to
run at a chosen hour of the day, whatever the machine's clock says, and
`freeze()` where a test checks a limit to the second (a slow machine must not
move it) or a rule depends on the exact moment (an authenticator app's
30-second time steps).
"""
import datetime

_offset = datetime.timedelta(0)
_frozen = None


def _wall():
    if _frozen is not None:
        return _frozen
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


def freeze(moment=None):
    """Stop the clock where it is, or at the naive-UTC `moment`; only advance() and set() move it
    from here on (tests only)."""
    global _frozen, _offset
    if moment is None:
        _frozen = _wall()
    else:
        _frozen, _offset = moment, datetime.timedelta(0)


def reset():
    global _offset, _frozen
    _offset = datetime.timedelta(0)
    _frozen = None
