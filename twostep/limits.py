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
import ipaddress
import logging

from peewee import Case, fn

from core import metrics
from models import Challenge, SmsRecord, User, db, is_sqlite
from accounts import events
from core import clock
from core.translations import UNTIL_RECOVERY_DETAIL
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


def client_key(ip):
    """What per-client caps count by: an IPv4 address as it is, an IPv6 address as its /64.

    One IPv6 subscriber usually gets a whole /64 (18 billion billion
    addresses): keyed by the exact address, one host would be a new client
    for every request. An IPv4-mapped IPv6 address is its IPv4 address.
    """
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return (ip or "")[:45]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def accounts_with_number(phone, user_id):
    """Ids of the other accounts that have confirmed `phone` (it receives their sign-in codes)."""
    query = User.select(User.id).where(User.phone == phone)
    if user_id is not None:
        query = query.where(User.id != user_id)
    return [row.id for row in query]


def _cap_checks(policy, record, now):
    """(query, window, cap, message) for each cap that applies to `record`.

    Budgets are kept apart by purpose, so that traffic an attacker can cause
    never uses up what a user needs to sign in:
      - sign-in and Enable codes go to the account's confirmed number. They
        count against that account, that number's *confirmed* budget (only
        someone who holds the phone could ever confirm it) and the client;
        set-up codes to the same number from other accounts never count here;
      - set-up and new-number codes go to a number nobody proved they hold.
        They count against the account, the number's *unconfirmed* budget
        (at most SMS_SETUP_TO_TAKEN_NUMBER_DAY a day once another account has
        confirmed the number), the client's set-up budget and the share of
        the site's daily budget not reserved for sign-in codes.
    """
    confirmed = SmsRecord.to_confirmed_number == record.to_confirmed_number
    checks = [
        (_counted(now - DAY), DAY, policy.sms_daily_limit, refusals.CAP_SITE_DAY),
    ]
    if not record.to_confirmed_number:
        setup_share = policy.sms_daily_limit * (100 - policy.sms_signin_reserve_percent) // 100
        checks.append((_counted(now - DAY).where(SmsRecord.to_confirmed_number == False),  # noqa: E712
                       DAY, setup_share, refusals.CAP_SITE_DAY))
    if record.user_id is not None:
        mine = SmsRecord.user == record.user_id
        checks += [
            (_counted(now - HOUR).where(mine), HOUR, policy.sms_per_account_hour,
             refusals.CAP_ACCOUNT_HOUR),
            (_counted(now - DAY).where(mine), DAY, policy.sms_per_account_day,
             refusals.CAP_ACCOUNT_DAY),
        ]
    same_number = (SmsRecord.phone == record.phone) & confirmed
    checks += [
        (_counted(now - HOUR).where(same_number), HOUR, policy.sms_per_number_hour,
         refusals.CAP_NUMBER_HOUR),
        (_counted(now - DAY).where(same_number), DAY, policy.sms_per_number_day,
         refusals.CAP_NUMBER_DAY),
    ]
    client = SmsRecord.client == record.client
    # Everything one client makes the site send, sign-in codes included (SMS pumping
    # through accounts whose numbers the attacker reads).
    checks.append((_counted(now - DAY).where(client), DAY, policy.sms_per_ip_day_all, refusals.CAP_IP_DAY))
    if not record.to_confirmed_number:
        checks.append((_counted(now - DAY).where(client & confirmed), DAY, policy.sms_per_ip_day,
                       refusals.CAP_IP_DAY))
        owners = accounts_with_number(record.phone, record.user_id)
        if owners:
            # The owners' own set-up SMS to it (long done) do not count; everyone else's do.
            others = same_number & (SmsRecord.user.is_null() | SmsRecord.user.not_in(owners))
            checks.append((_counted(now - DAY).where(others), DAY, policy.sms_setup_to_taken_number_day,
                           refusals.CAP_NUMBER_DAY))
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
    record = SmsRecord(user=user_id, phone=phone, ip=(ip or "")[:45], client=client_key(ip), purpose=purpose,
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


# NIST SP 800-63B: at most 100 consecutive failed attempts on one account.
MAX_CONSECUTIVE_FAILURES = 100
# However many rounds, one lock never lasts longer than a day.
LONGEST_LOCK = datetime.timedelta(days=1)
# A lock "until the recovery code is used" (after MAX_CONSECUTIVE_FAILURES): far enough to mean never.
UNTIL_RECOVERY = datetime.timedelta(days=3650)


def ensure_not_locked(user):
    """Raise Locked while the account's passcode checks are locked.

    Only passcodes are locked. The recovery code (80 bits) cannot be guessed
    however many tries are allowed, so the owner can always sign in with it,
    and someone who knows the password cannot keep the owner out.
    """
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        if user.locked_until - now > LONGEST_LOCK:
            raise Locked(int(LONGEST_LOCK.total_seconds()), refusals.LOCKED_UNTIL_RECOVERY)
        raise Locked(int((user.locked_until - now).total_seconds()) + 1)


def lock_length(policy, rounds):
    """How long the lock after `rounds` earlier locks in a row lasts: doubling, at most a day,
    and until the recovery code is used once MAX_CONSECUTIVE_FAILURES are reached."""
    if (rounds + 1) * policy.lockout_failures >= MAX_CONSECUTIVE_FAILURES:
        return UNTIL_RECOVERY
    return min(LONGEST_LOCK, datetime.timedelta(minutes=policy.lockout_minutes) * 2 ** min(rounds, 20))


def claim_try(policy, user_id):
    """Take one of the account's LOCKOUT_FAILURES passcode tries before a code is evaluated, or raise Locked.

    The try is counted as a failure up front, in one conditional UPDATE, so
    parallel guesses spread over several pending sign-ins cannot all pass a
    "not locked yet" check before any of them is counted: at most
    LOCKOUT_FAILURES codes are ever evaluated between two locks. The caller
    settles the try in the same transaction (a right code resets the count;
    a wrong one may lock), so a request that dies rolls the count back; and a
    count stuck at the limit without a lock (which nothing should leave)
    expires LOCKOUT_MINUTES after the last try instead of locking for ever.
    """
    now = clock.now()
    stale = now - datetime.timedelta(minutes=policy.lockout_minutes)
    at_limit = User.second_step_failures >= policy.lockout_failures
    with db.atomic():
        claimed = (User.update(second_step_failures=Case(None, [(at_limit, 1)], User.second_step_failures + 1),
                               second_step_tried_at=now)
                   .where(User.id == user_id,
                          User.locked_until.is_null() | (User.locked_until <= now),
                          ~at_limit | User.second_step_tried_at.is_null() | (User.second_step_tried_at <= stale))
                   .execute())
    if not claimed:
        user = User.get_by_id(user_id)
        ensure_not_locked(user)
        # Every try is taken by requests still being evaluated: as good as locked, for a moment.
        tried = user.second_step_tried_at or now
        raise Locked(max(1, int((tried + datetime.timedelta(minutes=policy.lockout_minutes) - now).total_seconds())))


def record_failure(policy, user_id, *, ip="", user_agent=""):
    """A claimed passcode try was wrong; the failure that reaches the limit locks passcode checks.

    Each lock in a row lasts twice the one before (LOCKOUT_MINUTES, then 2x,
    4x ..., at most a day); after MAX_CONSECUTIVE_FAILURES only the recovery
    code unlocks. The owner is e-mailed about every lock.
    """
    now = clock.now()
    locked = 0
    with db.atomic():
        user = User.get_by_id(user_id)
        if user.second_step_failures >= policy.lockout_failures:
            length = lock_length(policy, user.lock_rounds)
            locked = (User.update(second_step_failures=0, locked_until=now + length,
                                  lock_rounds=User.lock_rounds + 1)
                      .where(User.id == user_id, User.second_step_failures >= policy.lockout_failures)
                      .execute())
            if locked:
                detail = UNTIL_RECOVERY_DETAIL if length == UNTIL_RECOVERY else \
                    f"until {now + length:%Y-%m-%d %H:%M} UTC"
                events.record(user_id, "second_step_locked", ip=ip, user_agent=user_agent, detail=detail)
    metrics.second_step_failure(locked=bool(locked))
    if locked:
        log.warning("passcodes locked for user=%s after %s failures (round %s)", user_id, policy.lockout_failures,
                    user.lock_rounds + 1)
    return bool(locked)


def release_try(user_id):
    """Give back a claimed try that was not a wrong guess (a right code that lost a race, an unreadable secret)."""
    User.update(second_step_failures=User.second_step_failures - 1).where(
        User.id == user_id, User.second_step_failures > 0).execute()


def record_success(user_id):
    """A right code: the run of failures is over, and so is any lock (the recovery code unlocks)."""
    User.update(second_step_failures=0, lock_rounds=0, locked_until=None).where(
        User.id == user_id,
        (User.second_step_failures != 0) | (User.lock_rounds != 0) | User.locked_until.is_null(False)).execute()


def claim_challenge_try(policy, challenge_id):
    """Take one of a verification's LOCKOUT_FAILURES tries (passcodes and recovery codes together).

    False when they are all used: the verification is over (a pending sign-in
    must start again with the password). This limit belongs to one pending
    verification in one browser, so it never stands in the owner's way.
    """
    with db.atomic():
        return bool(Challenge.update(failures=Challenge.failures + 1)
                    .where(Challenge.id == challenge_id, Challenge.failures < policy.lockout_failures,
                           Challenge.finished_at.is_null())
                    .execute())


def release_challenge_try(challenge_id):
    """Give back a verification's try that turned out not to be a wrong guess."""
    with db.atomic():
        Challenge.update(failures=Challenge.failures - 1).where(
            Challenge.id == challenge_id, Challenge.failures > 0).execute()


def end_if_used_up(policy, challenge_id):
    """After a wrong code: end the verification when it has had all its tries. True when it ended."""
    with db.atomic():
        return bool(Challenge.update(finished_at=clock.now())
                    .where(Challenge.id == challenge_id, Challenge.failures >= policy.lockout_failures,
                           Challenge.finished_at.is_null())
                    .execute())
