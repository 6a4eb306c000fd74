"""Caps on SMS and the second-step lockout (checklist items 7, 8, 11, 12, 34).

All state is in the database, so the caps hold across restarts, workers and
hosts. An SMS is reserved in one transaction that first takes a lock every
reservation takes (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: a
transaction-level advisory lock), then counts the rows in each window, then
writes the attempt's row. Reservations are therefore serialised: parallel
requests never get past a cap, and exactly as many as it allows get through
(the earlier "write, then count" let a burst refuse everyone at the edge).
The lock is held for a few indexed counts, never while the provider is called.
"""
import datetime
import logging

from peewee import fn

from core import metrics
from models import SmsRecord, User, db, is_sqlite
from accounts import events
from core import clock
from twostep import refusals
from twostep.refusals import Locked, SmsCapReached

log = logging.getLogger(__name__)

COUNTED = ("reserved", "sent", "failed")  # a failed send may still have been delivered
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Any fixed 64-bit number, the same in every worker: the PostgreSQL advisory lock of SMS reservations.
RESERVATION_LOCK = 0x534D535F434150  # "SMS_CAP"
# The `reason` label of a refused SMS in the metrics, by the message the user is shown.
CAP_REASONS = {
    refusals.CAP_SITE_DAY: "site_day", refusals.CAP_ACCOUNT_HOUR: "account_hour",
    refusals.CAP_ACCOUNT_DAY: "account_day", refusals.CAP_NUMBER_HOUR: "number_hour",
    refusals.CAP_NUMBER_DAY: "number_day", refusals.CAP_IP_DAY: "ip_day", refusals.CAP_NEW_NUMBERS: "new_numbers",
}


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
         refusals.CAP_SITE_DAY),
    ]
    if record.user_id is not None:
        mine = SmsRecord.user == record.user_id
        checks += [
            (_counted(now - HOUR).where(mine), HOUR, policy.sms_per_account_hour,
             refusals.CAP_ACCOUNT_HOUR),
            (_counted(now - DAY).where(mine), DAY, policy.sms_per_account_day,
             refusals.CAP_ACCOUNT_DAY),
        ]
    same_number = SmsRecord.phone == record.phone
    checks += [
        (_counted(now - HOUR).where(same_number), HOUR, policy.sms_per_number_hour,
         refusals.CAP_NUMBER_HOUR),
        (_counted(now - DAY).where(same_number), DAY, policy.sms_per_number_day,
         refusals.CAP_NUMBER_DAY),
    ]
    if not record.to_confirmed_number:
        # Per-IP only for numbers not yet confirmed: sign-in codes go to a
        # confirmed number and must not lock out everyone behind one NAT.
        checks.append((
            _counted(now - DAY).where(SmsRecord.ip == record.ip, SmsRecord.to_confirmed_number == False),  # noqa: E712
            DAY, policy.sms_per_ip_day, refusals.CAP_IP_DAY,
        ))
    return checks


def _new_numbers_refusal(policy, record, now):
    """(retry_after, message) when `record` would be one new number too many for its account today."""
    if record.to_confirmed_number or record.user_id is None:
        return None
    last_use = dict(
        _counted(now - DAY)
        .where(SmsRecord.user == record.user_id, SmsRecord.to_confirmed_number == False)  # noqa: E712
        .select(SmsRecord.phone, fn.MAX(SmsRecord.created_at))
        .group_by(SmsRecord.phone).tuples())
    if record.phone in last_use or len(last_use) < policy.sms_new_numbers_per_account_day:
        return None
    # Room comes back when the number used longest ago leaves the 24-hour window.
    oldest = min(last_use.values())
    return (max(1, int((oldest + DAY - now).total_seconds()) + 1), refusals.CAP_NEW_NUMBERS)


def _lock_reservations():
    """Serialise reservations until the end of the current transaction."""
    if is_sqlite():
        return  # BEGIN IMMEDIATE (models.open_database) already holds the one write lock
    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (RESERVATION_LOCK,))


def reserve_sms(policy, *, user_id, phone, ip, purpose, to_confirmed):
    """Record an SMS about to be sent, or refuse it with SmsCapReached (no SMS).

    Every cap is checked, and the refusal that keeps the user waiting longest
    is the one shown: "try again in an hour" is wrong when the daily cap is
    also reached. A refused attempt is recorded too (status "refused"), for
    the operator; it does not count against any cap.
    """
    now = clock.now()
    record = SmsRecord(user=user_id, phone=phone, ip=ip or "", purpose=purpose,
                       to_confirmed_number=to_confirmed, created_at=now)
    with db.atomic():
        _lock_reservations()
        refusals = []
        new_numbers = _new_numbers_refusal(policy, record, now)
        if new_numbers:
            refusals.append(new_numbers)
        for query, window, cap, message in _cap_checks(policy, record, now):
            if query.count() >= cap:  # this attempt would be one more
                refusals.append((_retry_after(query, window, now), message))
        if refusals:
            record.status, record.provider_status = "refused", "cap"
        record.save()
    _warn_budget(policy, now)
    if refusals:
        retry_after, message = max(refusals, key=lambda refusal: refusal[0])
        log.warning("SMS refused by a cap: user=%s purpose=%s ip=%s reason=%s retry_after=%ss",
                    user_id, purpose, ip, message, retry_after)
        metrics.sms("refused", CAP_REASONS.get(message, "cap"), purpose, phone)
        raise SmsCapReached(int(retry_after), message)
    return record


def _warn_budget(policy, now):
    """Tell the operator when the global budget is nearly used (80 %) and when it is reached.

    Refused attempts are not counted, so the figure is what was really sent or
    attempted (a timed-out send may still have been delivered and billed).
    """
    used = sms_used_last_day(now)
    if used >= policy.sms_daily_limit:
        log.warning("SMS daily budget reached: %s of %s used in the last 24 hours; further SMS are refused "
                    "(SMS_DAILY_LIMIT)", used, policy.sms_daily_limit)
    elif used >= 0.8 * policy.sms_daily_limit:
        log.warning("SMS daily budget nearly used: %s of %s in the last 24 hours (SMS_DAILY_LIMIT)",
                    used, policy.sms_daily_limit)


def sms_used_last_day(now=None):
    """SMS sent or attempted (not refused) in the 24 hours before `now`: what the global budget counts."""
    return _counted((now or clock.now()) - DAY).count()


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
    metrics.second_step_failure(locked=bool(locked))
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
