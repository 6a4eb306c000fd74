"""Caps on SMS and the second-step lockout (docs/security.md, "Sending SMS" and "The second step and its lock").

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

from peewee import SQL, Case, Select, fn

from accounts import events
from core import clock, metrics
from models import Challenge, Prepared, SmsRecord, User, db, is_sqlite
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


# The statuses a cap counts, written into the SQL (constants of this module, never input): the
# prepared count below then takes only the windows, the account, the number and the client as values.
_COUNTED_SQL = SQL("(" + ", ".join(f"'{status}'" for status in COUNTED) + ")")


def _counted(since):
    return SmsRecord.select().where(SmsRecord.created_at >= since, SmsRecord.status.in_(_COUNTED_SQL))


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


def _cap_checks(policy, record, owners, value):
    """(query, window, cap, message) for each cap that applies to `record`; `query()` builds the
    check's rows (so only a refusal, which needs them for its Retry-After, pays for building them).

    `value(name)` gives each value the queries compare with ("day" and "hour":
    where the windows start; "user", "phone", "client", "confirmed", "owner0"...):
    the values themselves, or a prepared query's slots. Which caps apply is
    decided by the record's kind alone (to a confirmed number or not, with an
    account or not, how many other accounts have confirmed the number), so
    each kind's count is one statement built once (`_count_all`).

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
    The site's whole daily budget is always the first check (`reserve_sms` warns the operator from it).
    """
    def counted(window, where=lambda: None):
        def query():
            rows = _counted(value("day" if window == DAY else "hour"))
            condition = where()
            return rows if condition is None else rows.where(condition)
        return query

    def confirmed():
        return SmsRecord.to_confirmed_number == value("confirmed")

    def same_number():
        return (SmsRecord.phone == value("phone")) & confirmed()

    def mine():
        return SmsRecord.user == value("user")

    def client():
        return SmsRecord.client == value("client")

    checks = [(counted(DAY), DAY, policy.sms_daily_limit, refusals.CAP_SITE_DAY)]
    if not record.to_confirmed_number:
        setup_share = policy.sms_daily_limit * (100 - policy.sms_signin_reserve_percent) // 100
        # confirmed() is "to a number not yet confirmed" here: this record is one.
        checks.append((counted(DAY, confirmed), DAY, setup_share, refusals.CAP_SITE_DAY))
    if record.user_id is not None:
        checks += [
            (counted(HOUR, mine), HOUR, policy.sms_per_account_hour, refusals.CAP_ACCOUNT_HOUR),
            (counted(DAY, mine), DAY, policy.sms_per_account_day, refusals.CAP_ACCOUNT_DAY),
        ]
    checks += [
        (counted(HOUR, same_number), HOUR, policy.sms_per_number_hour, refusals.CAP_NUMBER_HOUR),
        (counted(DAY, same_number), DAY, policy.sms_per_number_day, refusals.CAP_NUMBER_DAY),
    ]
    # Everything one client makes the site send, sign-in codes included (SMS pumping
    # through accounts whose numbers the attacker reads).
    checks.append((counted(DAY, client), DAY, policy.sms_per_ip_day_all, refusals.CAP_IP_DAY))
    if not record.to_confirmed_number:
        checks.append((counted(DAY, lambda: client() & confirmed()), DAY, policy.sms_per_ip_day,
                       refusals.CAP_IP_DAY))
        if owners:
            # The owners' own set-up SMS to it (long done) do not count; everyone else's do.
            def others():
                return same_number() & (SmsRecord.user.is_null() |
                                        SmsRecord.user.not_in([value(f"owner{i}") for i in range(len(owners))]))
            checks.append((counted(DAY, others), DAY, policy.sms_setup_to_taken_number_day, refusals.CAP_NUMBER_DAY))
    return checks


def _check_values(record, owners, now):
    values = {"day": now - DAY, "hour": now - HOUR, "phone": record.phone, "client": record.client,
              "confirmed": record.to_confirmed_number}
    if record.user_id is not None:
        values["user"] = record.user_id
    values.update((f"owner{i}", owner) for i, owner in enumerate(owners))
    return values


# One prepared count per kind of record: (to a confirmed number, with an account, other owners).
_COUNTS = {}


def _count_all(policy, record, owners, values):
    """Every cap's count for `record`, in `_cap_checks`' order: one statement (scalar subqueries,
    each on its own index), built once per kind of record. The caps themselves are compared in Python."""
    kind = (bool(record.to_confirmed_number), record.user_id is not None, len(owners))
    prepared = _COUNTS.get(kind)
    if prepared is None:
        def build(p):
            return Select(columns=[query().select(fn.COUNT(SQL("*")))
                                   for query, *_ in _cap_checks(policy, record, owners, p)])
        prepared = _COUNTS[kind] = Prepared(build)
    return prepared.row(**{name: values[name] for name in prepared.names()})


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


_NEW_RECORD_FIELDS = ("user", "phone", "ip", "client", "purpose", "to_confirmed_number", "status", "provider_status",
                      "created_at")
_NEW_RECORD = Prepared(lambda p: SmsRecord.insert(**{name: p(name) for name in _NEW_RECORD_FIELDS}))
_MARK = Prepared(lambda p: SmsRecord.update(status=p("status"), provider_status=p("provider_status"))
                 .where(SmsRecord.id == p("id")))


def reserve_sms(policy, *, user_id, phone, ip, purpose, to_confirmed, in_transaction=None):
    """Record an SMS about to be sent, or refuse it with SmsCapReached (no SMS).

    Every cap is checked, and the refusal that keeps the user waiting longest
    is the one shown: "try again in an hour" is wrong when the daily cap is
    also reached. A refused attempt is recorded too (status "refused"), for
    the operator; it does not count against any cap.

    `in_transaction()`, when given, runs in the reservation's transaction once
    every cap allowed the SMS (the caller writes its code there, so the code
    and the attempt cost one commit). When it returns False the attempt is
    recorded as refused ("cooldown") and the returned record says so
    (`status == "refused"`); no SmsCapReached is raised for it.
    """
    now = clock.now()
    record = SmsRecord(user=user_id, phone=phone, ip=(ip or "")[:45], client=client_key(ip), purpose=purpose,
                       to_confirmed_number=to_confirmed, created_at=now, status="reserved", provider_status="")
    with db.atomic():
        _lock_reservations()
        refusals = []
        new_numbers = _new_numbers_refusal(policy, record, now)
        if new_numbers:
            refusals.append(new_numbers)
        owners = [] if record.to_confirmed_number else accounts_with_number(record.phone, record.user_id)
        values = _check_values(record, owners, now)
        counts = _count_all(policy, record, owners, values)
        checks = _cap_checks(policy, record, owners, values.__getitem__)
        for count, (query, window, cap, message) in zip(counts, checks):
            if count >= cap:  # this attempt would be one more
                refusals.append((_retry_after(query(), window, now), message))
        if refusals:
            record.status, record.provider_status = "refused", "cap"
        elif in_transaction is not None and in_transaction() is False:
            record.status, record.provider_status = "refused", "cooldown"
        record.id = _NEW_RECORD.insert(**{name: getattr(record, name if name != "user" else "user_id")
                                          for name in _NEW_RECORD_FIELDS})
    # What the global budget counts after this attempt: the site's day count (the first check) and this one.
    _warn_budget(policy, counts[0] + (record.status != "refused"))
    if refusals:
        retry_after, message = max(refusals, key=lambda refusal: refusal[0])
        log.warning("SMS refused by a cap: user=%s purpose=%s ip=%s reason=%s retry_after=%ss",
                    user_id, purpose, ip, message, retry_after)
        metrics.sms("refused", CAP_REASONS.get(message, "cap"), purpose, phone)
        raise SmsCapReached(int(retry_after), message)
    return record


def _warn_budget(policy, used):
    """Tell the operator when the global budget is nearly used (80 %) and when it is reached.

    `used`: SMS sent or attempted in the last 24 hours, this one included
    unless refused (a timed-out send may still have been delivered and billed).
    """
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
    """What became of a reserved SMS (sent, failed): one UPDATE, atomic and committed by itself."""
    _MARK.execute(status=status, provider_status=provider_status[:64], id=record_id)


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


def _claim_try_query(p):
    at_limit = User.second_step_failures >= p("limit")
    return (User.update(second_step_failures=Case(None, [(at_limit, SQL("1"))], User.second_step_failures + SQL("1")),
                        second_step_tried_at=p("now"))
            .where(User.id == p("id"), User.locked_until.is_null() | (User.locked_until <= p("now")),
                   ~at_limit | User.second_step_tried_at.is_null() | (User.second_step_tried_at <= p("stale"))))


# Built once (models.Prepared): every passcode check runs them.
_CLAIM_TRY = Prepared(_claim_try_query)
_SUCCESS = Prepared(lambda p: User.update(second_step_failures=SQL("0"), lock_rounds=SQL("0"), locked_until=SQL("NULL"))
                    .where(User.id == p("id"), (User.second_step_failures != SQL("0")) | (User.lock_rounds != SQL("0")) |
                           User.locked_until.is_null(False)))


def claim_try(policy, user_id):
    """Take one of the account's LOCKOUT_FAILURES passcode tries before a code is evaluated, or raise Locked.

    The try is counted as a failure up front, in one conditional UPDATE, so
    parallel guesses spread over several pending sign-ins cannot all pass a
    "not locked yet" check before any of them is counted: at most
    LOCKOUT_FAILURES codes are ever evaluated between two locks (docs/security.md, "Passcodes"). The caller
    settles the try in the same transaction (a right code resets the count;
    a wrong one may lock), so a request that dies rolls the count back; and a
    count stuck at the limit without a lock (which nothing should leave)
    expires LOCKOUT_MINUTES after the last try instead of locking for ever.
    """
    now = clock.now()
    stale = now - datetime.timedelta(minutes=policy.lockout_minutes)
    # One UPDATE is atomic by itself: no transaction (or savepoint inside the caller's) of its own.
    claimed = _CLAIM_TRY.execute(limit=policy.lockout_failures, now=now, id=user_id, stale=stale)
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
                details = {"until_recovery": True} if length == UNTIL_RECOVERY else \
                    {"until": (now + length).isoformat(timespec="minutes")}
                events.record(user_id, "second_step_locked", ip=ip, user_agent=user_agent, details=details)
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
    _SUCCESS.execute(id=user_id)


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
