"""Caps on SMS and the second-step lockout (checklist items 7, 8, 11, 12, 34).

All state is in the database, so the caps hold across restarts, workers and
hosts. An SMS is reserved and the caps counted in one transaction that holds
a lock every reservation takes (SQLite's write lock, taken by BEGIN
IMMEDIATE; a PostgreSQL advisory lock), so parallel requests take turns and
each cap is exact: of twenty parallel requests with three SMS left, exactly
three are allowed, whichever server they reach.
"""
import datetime
import logging

from peewee import fn

from models import SmsRecord, User, db, is_sqlite
from twostep import clock, events
from twostep.errors import Locked, SmsCapReached

log = logging.getLogger(__name__)

COUNTED = ("reserved", "sent", "failed")  # a failed send may still have been delivered
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def _retry_after(query, window, now):
    oldest = query.select(fn.MIN(SmsRecord.created_at)).scalar()
    if oldest is None:
        return 60
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def _counted(since):
    return SmsRecord.select().where(SmsRecord.created_at >= since, SmsRecord.status.in_(COUNTED))


def _cap_checks(policy, record, now):
    """(query, window, cap, message) for each cap that applies to `record`."""
    checks = [
        (_counted(now - DAY), DAY, policy.sms_daily_limit,
         "This site has sent as many SMS as it may today."),
    ]
    if record.user_id is not None:
        mine = SmsRecord.user == record.user_id
        checks += [
            (_counted(now - HOUR).where(mine), HOUR, policy.sms_per_account_hour,
             "You have asked for too many passcodes."),
            (_counted(now - DAY).where(mine), DAY, policy.sms_per_account_day,
             "You have asked for too many passcodes today."),
        ]
    same_number = SmsRecord.phone == record.phone
    checks += [
        (_counted(now - HOUR).where(same_number), HOUR, policy.sms_per_number_hour,
         "Too many passcodes were sent to this number."),
        (_counted(now - DAY).where(same_number), DAY, policy.sms_per_number_day,
         "Too many passcodes were sent to this number today."),
    ]
    if not record.to_confirmed_number:
        # Per-IP only for numbers not yet confirmed: sign-in codes go to a
        # confirmed number and must not lock out everyone behind one NAT.
        checks.append((
            _counted(now - DAY).where(SmsRecord.ip == record.ip, SmsRecord.to_confirmed_number == False),  # noqa: E712
            DAY, policy.sms_per_ip_day, "Too many passcodes were requested from your network today.",
        ))
    return checks


def _new_numbers_exceeded(policy, record, now):
    if record.to_confirmed_number or record.user_id is None:
        return False
    numbers = (_counted(now - DAY)
               .where(SmsRecord.user == record.user_id, SmsRecord.to_confirmed_number == False)  # noqa: E712
               .select(fn.COUNT(SmsRecord.phone.distinct())).scalar())
    return numbers > policy.sms_new_numbers_per_account_day


# Any fixed number: the PostgreSQL advisory lock SMS reservations take turns on.
_SMS_LOCK_ID = 70410012


def _take_turns():
    """Inside a transaction: wait for any other SMS reservation to commit (see the module's docstring)."""
    if not is_sqlite():  # SQLite: BEGIN IMMEDIATE already holds the database's one write lock
        db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_SMS_LOCK_ID,))


def reserve_sms(policy, *, user_id, phone, ip, purpose, to_confirmed):
    """Record an SMS about to be sent, or refuse it with SmsCapReached (no SMS)."""
    now = clock.now()
    with db.atomic():
        _take_turns()
        record = SmsRecord.create(user=user_id, phone=phone, ip=ip or "", purpose=purpose,
                                  to_confirmed_number=to_confirmed, created_at=now)
        refusal = None
        if _new_numbers_exceeded(policy, record, now):
            refusal = (DAY.total_seconds(), "You have tried too many different numbers today.")
        counts = []
        for query, window, cap, message in _cap_checks(policy, record, now):
            if refusal:
                break
            counts.append(query.count())
            if counts[-1] > cap:
                refusal = (_retry_after(query, window, now), message)
        if refusal:  # the refused attempt stays on record for operators, and counts for nothing
            SmsRecord.update(status="refused", provider_status="cap").where(SmsRecord.id == record.id).execute()
    _warn_budget(policy, now, used=counts[0] if counts else None)  # the first check is the global one
    if refusal:
        log.warning("SMS refused by a cap: user=%s purpose=%s reason=%s", user_id, purpose, refusal[1])
        raise SmsCapReached(int(refusal[0]), refusal[1])
    return record


def _warn_budget(policy, now, used=None):
    if used is None:
        used = _counted(now - DAY).count()
    if used >= policy.sms_daily_limit:
        log.warning("SMS daily budget reached: %s of %s used in the last 24 hours", used, policy.sms_daily_limit)
    elif used >= 0.8 * policy.sms_daily_limit:
        log.warning("SMS daily budget nearly used: %s of %s in the last 24 hours", used, policy.sms_daily_limit)


def mark_sms(record_id, status, provider_status=""):
    with db.atomic():
        SmsRecord.update(status=status, provider_status=provider_status[:64]).where(SmsRecord.id == record_id).execute()


def ensure_not_locked(user):
    """Raise Locked while the account's second step is locked."""
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        raise Locked(int((user.locked_until - now).total_seconds()) + 1)


def claim_try(policy, user_id):
    """Take one of the account's LOCKOUT_FAILURES tries before a code is evaluated, or raise Locked.

    The try is counted as a failure up front, in one conditional UPDATE, so
    parallel guesses spread over several pending sign-ins cannot all pass a
    "not locked yet" check before any of them is counted: at most
    LOCKOUT_FAILURES codes are ever evaluated between two successes (item 8).
    A right code gives the try back (`record_success` resets the count).
    """
    now = clock.now()
    with db.atomic():
        claimed = (User.update(second_step_failures=User.second_step_failures + 1)
                   .where(User.id == user_id, User.second_step_failures < policy.lockout_failures,
                          User.locked_until.is_null() | (User.locked_until <= now))
                   .execute())
    if not claimed:
        user = User.get_by_id(user_id)
        ensure_not_locked(user)
        # Every try is taken by requests still being evaluated: as good as locked.
        raise Locked(policy.lockout_minutes * 60)


def record_failure(policy, user_id):
    """A claimed try was wrong; the failure that reaches the limit locks the second step."""
    now = clock.now()
    with db.atomic():
        locked = (User.update(second_step_failures=0,
                              locked_until=now + datetime.timedelta(minutes=policy.lockout_minutes))
                  .where(User.id == user_id, User.second_step_failures >= policy.lockout_failures)
                  .execute())
    if locked:
        events.record(user_id, "second_step_locked")
        log.warning("second step locked for user=%s after %s failures", user_id, policy.lockout_failures)
    return bool(locked)


def release_try(user_id):
    """Give back a try claimed by a right code that lost the race to a parallel use of it."""
    User.update(second_step_failures=User.second_step_failures - 1).where(
        User.id == user_id, User.second_step_failures > 0).execute()


def record_success(user_id):
    User.update(second_step_failures=0).where(User.id == user_id, User.second_step_failures != 0).execute()
