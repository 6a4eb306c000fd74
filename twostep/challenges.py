"""Passcodes: issue, send, check, expire and void (docs/security.md, "Passcodes" and "Sending SMS").

A Challenge row is one verification in progress, bound to one browser by a
token in that browser's session. It holds at most one live passcode: sending
a new one overwrites the hash, so the old code stops working. Counting a try
and using the code up are conditional UPDATEs whose row count decides, so
parallel requests cannot get extra tries or use a code twice.
"""
import datetime
import logging

from peewee import SQL

from accounts import events
from core import clock, metrics
from core.tokens import new_token, token_digest
from core.translations import catalog
from models import Challenge, Prepared, User, db
from sms import SmsError
from twostep import limits
from twostep.codes import new_passcode, passcode_hash, passcode_matches, read_passcode
from twostep.refusals import (CODE_WRONG_AND_VOIDED, CodeExpired, CodeFormat, CodeVoided, Cooldown, FlowExpired,
                              SendFailed, TooManyTries, WrongCode)

log = logging.getLogger(__name__)


def _find_query(by_user, by_age):
    def build(p):
        # The account comes in the same query (challenge.user): every step needs it, and one read is cheaper than two.
        query = (Challenge.select(Challenge, User).join(User)
                 .where(Challenge.token_hash == p("token_hash"), Challenge.purpose == p("purpose"),
                        Challenge.finished_at.is_null()))
        if by_user:
            query = query.where(Challenge.user == p("user"))
        if by_age:
            query = query.where(Challenge.created_at > p("since"))
        return query.limit(SQL("1"))
    return Prepared(build)


# Built once each (models.Prepared): every step of a sign-in or a set-up runs them.
_FIND = {(by_user, by_age): _find_query(by_user, by_age) for by_user in (False, True) for by_age in (False, True)}
_NEW = Prepared(lambda p: Challenge.insert(
    **{name: p(name) for name in ("token_hash", "user", "purpose", "phone", "code_hash", "code_sent_at", "attempts",
                                  "verified_at", "recovery_hash", "recovery_shown_at", "created_at", "finished_at",
                                  "failures")}))


# A new code on the challenge: the cooldown condition makes parallel resends leave one live code.
_ISSUE = Prepared(lambda p: (
    Challenge.update(code_hash=p("code_hash"), code_sent_at=p("now"), attempts=SQL("0"))
    .where(Challenge.id == p("id"), Challenge.finished_at.is_null(),
           Challenge.code_sent_at.is_null() | (Challenge.code_sent_at <= p("ready_before")))))
# One try counted on the code, only while it is the same code, has tries left and is unused.
_COUNT_TRY = Prepared(lambda p: (
    Challenge.update(attempts=Challenge.attempts + SQL("1"))
    .where(Challenge.id == p("id"), Challenge.code_hash == p("code_hash"),
           Challenge.attempts < p("max_attempts"), Challenge.verified_at.is_null(),
           Challenge.failures < p("max_failures"))))
# The code used up (and, for a sign-in, the challenge closed) by the one request that gets here first.
_USE_CODE = Prepared(lambda p: (
    Challenge.update(verified_at=p("now"), code_hash=SQL("NULL"), finished_at=p("finished_at"))
    .where(Challenge.id == p("id"), Challenge.code_hash == p("code_hash"),
           Challenge.verified_at.is_null(), Challenge.finished_at.is_null())))


def open_challenge(user_id, purpose, phone=None):
    """Start a verification; return (challenge, token). The token goes in the browser's session."""
    token = new_token()
    fields = {"token_hash": token_digest(token), "user": user_id, "purpose": purpose, "phone": phone,
              "code_hash": None, "code_sent_at": None, "attempts": 0, "verified_at": None, "recovery_hash": None,
              "recovery_shown_at": None, "created_at": clock.now(), "finished_at": None, "failures": 0}
    with db.atomic():
        challenge = Challenge(id=_NEW.insert(**fields), **fields)
    return challenge, token


def find_challenge(token, purpose, user_id=None, max_age_minutes=None):
    """The unfinished challenge this browser holds for `purpose`, with its account (`challenge.user`), or None."""
    if not token:
        return None
    values = {"token_hash": token_digest(token), "purpose": purpose}
    if user_id is not None:
        values["user"] = user_id
    if max_age_minutes is not None:
        values["since"] = clock.now() - datetime.timedelta(minutes=max_age_minutes)
    return _FIND[user_id is not None, max_age_minutes is not None].first(**values)


def finish(challenge):
    """Close the challenge; True for the one request that closed it (double submits lose)."""
    return bool(Challenge.update(finished_at=clock.now())
                .where(Challenge.id == challenge.id, Challenge.finished_at.is_null()).execute())


def close_open(user_id):
    """End every verification of the account still in progress (sign-in, set-up, Enable, new number).

    Called inside the transaction of a change that makes them stale: a new
    number, Off, Unsubscribe, a new recovery code, an administrator's reset.
    A pending sign-in started before the change (perhaps by someone who knew
    the password) must not go on to send a code to the old number.
    """
    return (Challenge.update(finished_at=clock.now())
            .where(Challenge.user == user_id, Challenge.finished_at.is_null()).execute())


def passcode_message(policy, code, locale="en"):
    """The SMS text in `locale`; its last line is the origin-bound form browsers can offer.

    That last line `@host #code` is never translated: browsers read it as it is.
    Every language's text fits one SMS part with a host of up to 30 characters
    (tests/test_sms_length.py): Japanese goes out as UCS-2, 70 characters a
    part, and the `@host #code` line alone takes 9 plus the host. Hence one
    newline before it, not a blank line, and a terse Japanese text.
    """
    minutes = max(1, policy.passcode_ttl // 60)
    text = catalog(locale).ngettext(
        "%(site)s: your passcode is %(code)s. It expires in %(num)d minute. Do not share it with anyone.",
        "%(site)s: your passcode is %(code)s. It expires in %(num)d minutes. Do not share it with anyone.",
        minutes) % {"site": policy.site_name, "code": code, "num": minutes}
    return f"{text}\n@{policy.public_host} #{code}"


def cooldown_left(policy, challenge, now=None):
    """Seconds before Resend is allowed again (0 when it is), at `now` (default: the clock's)."""
    if not challenge.code_sent_at:
        return 0
    ready = challenge.code_sent_at + datetime.timedelta(seconds=policy.resend_cooldown)
    return max(0, int((ready - (now or clock.now())).total_seconds() + 0.999))


def expires_in(policy, challenge, now=None):
    """Seconds the live passcode has left (0 when there is none or it has expired), at `now`."""
    if not challenge.code_hash or not challenge.code_sent_at:
        return 0
    end = challenge.code_sent_at + datetime.timedelta(seconds=policy.passcode_ttl)
    return max(0, int((end - (now or clock.now())).total_seconds()))


# Verifications whose number is already the account's confirmed one: sign-in, Enable and the step-up.
# The set-up wizard and a number change text a number not yet confirmed, which the per-IP cap also counts.
TO_CONFIRMED_NUMBER = {"signin", "enable", "stepup"}


def send_passcode(policy, sender, challenge, *, ip, locale="en"):
    """Issue a new passcode for `challenge` and send it by SMS, written in `locale`.

    Raises Cooldown or SmsCapReached (nothing sent), or SendFailed (the
    provider refused or did not answer; the code is voided so the user can
    simply try again).
    """
    current_number_or_expired(challenge)
    wait = cooldown_left(policy, challenge)
    if wait:
        raise Cooldown(wait)
    code = new_passcode()
    code_hash = passcode_hash(policy.passcode_key, challenge.id, code)
    now = clock.now()
    ready_before = now - datetime.timedelta(seconds=policy.resend_cooldown)

    def issue():
        # The code's row is written before the provider is called (docs/security.md, "Sending SMS"), in the
        # reservation's transaction (one commit for both); the cooldown condition in the WHERE makes
        # parallel resends leave one live code.
        return bool(_ISSUE.execute(code_hash=code_hash, now=now, id=challenge.id, ready_before=ready_before))

    record = limits.reserve_sms(policy, user_id=challenge.user_id, phone=challenge.phone, ip=ip,
                                purpose=challenge.purpose,
                                to_confirmed=challenge.purpose in TO_CONFIRMED_NUMBER, in_transaction=issue)
    if record.status == "refused":  # the cooldown: a parallel resend issued a code first
        metrics.sms("refused", "cooldown", challenge.purpose, challenge.phone)
        raise Cooldown(policy.resend_cooldown)
    try:
        sender.send(challenge.phone, passcode_message(policy, code, locale))
    except SmsError as error:
        _undo_issue(record, challenge, code_hash, error.status)
        log.error("SMS send failed: backend=%s status=%s user=%s purpose=%s reason=%s",
                  getattr(sender, "name", "?"), error.status, challenge.user_id, challenge.purpose, error.reason)
        raise SendFailed() from error
    except Exception as unexpected:
        # A sender bug must not leave a live code, a "reserved" row and a 500 behind.
        # Its type only: the exception's text could hold the message (the passcode).
        _undo_issue(record, challenge, code_hash, "error")
        log.error("SMS send failed: backend=%s raised %s instead of SmsError user=%s purpose=%s",
                  getattr(sender, "name", "?"), type(unexpected).__name__, challenge.user_id, challenge.purpose)
        raise SendFailed() from None
    limits.mark_sms(record.id, "sent", "0")
    metrics.sms("sent", "ok", challenge.purpose, challenge.phone)
    challenge.code_hash, challenge.code_sent_at, challenge.attempts = code_hash, now, 0


def _undo_issue(record, challenge, code_hash, status):
    """A send that failed: record why, and void its code so the user can simply try again."""
    limits.mark_sms(record.id, "failed", status)
    metrics.sms("failed", status, challenge.purpose, challenge.phone)
    with db.atomic():
        Challenge.update(code_hash=None, code_sent_at=None).where(
            Challenge.id == challenge.id, Challenge.code_hash == code_hash).execute()


def current_number_or_expired(challenge):
    """Refuse a sign-in or Enable whose number is no longer the account's (changed, removed, reset).

    Those verifications send to and trust the account's confirmed number: one
    opened before a change must not send the code to the old number, nor let
    a code from it complete anything.
    """
    if challenge.purpose in ("signin", "enable", "stepup"):
        phone = challenge.user.phone  # the account as this request read it
        if not phone or phone != challenge.phone:
            with db.atomic():
                finish(challenge)
            raise FlowExpired()


def note_wrong_code(challenge, failures, *, ip="", user_agent=""):
    """Tell the owner when a correct password is followed by a wrong code (inside the failure's transaction).

    Once per pending sign-in, on its first wrong code; mailed at most once an
    hour, so that someone who has the password cannot flood the owner's inbox.
    """
    if challenge.purpose != "signin" or failures != 1:
        return
    recently = events.happened_since(challenge.user_id, "second_step_failed", clock.now() - datetime.timedelta(hours=1))
    events.record(challenge.user_id, "second_step_failed", ip=ip, user_agent=user_agent, mail=not recently)


def verify_passcode(policy, challenge, raw, on_success=lambda: None, finish=False, *, ip="", user_agent=""):
    """Check the typed passcode; when right, use it up and run `on_success` in the same transaction.

    `challenge` is the row this request read (find_challenge, with its user):
    every write below is conditional on what was read, so a parallel request
    that changed the row in between makes this one lose, not win twice.
    `finish=True` also closes the challenge in the statement that uses the
    code (FlowExpired when a parallel request closed it first).
    Raises CodeFormat (not counted), Locked, CodeExpired, CodeVoided,
    FlowExpired (also when the account's number changed), WrongCode or
    TooManyTries (this verification had LOCKOUT_FAILURES wrong codes and is over).
    """
    code = read_passcode(raw)
    if code is None:
        raise CodeFormat()
    limits.ensure_not_locked(challenge.user)
    current = challenge
    if current.finished_at or current.verified_at or not current.code_hash:
        raise CodeVoided()
    if clock.now() > current.code_sent_at + datetime.timedelta(seconds=policy.passcode_ttl):
        raise CodeExpired()
    current_number_or_expired(current)
    # One transaction from counting the try to using the code up: the row locks
    # (PostgreSQL) or the write lock (SQLite) make parallel checks of one code
    # take turns, and a whole check costs a single commit. A request that dies
    # half-way rolls its counts back with it.
    ended = False
    with db.atomic():
        counted = _COUNT_TRY.execute(id=current.id, code_hash=current.code_hash,
                                     max_attempts=policy.passcode_max_attempts, max_failures=policy.lockout_failures)
        if not counted:
            ended = limits.end_if_used_up(policy, current.id)
            if not ended:
                raise CodeVoided()
        else:
            limits.claim_try(policy, current.user_id)  # Locked rolls the count back too
            if passcode_matches(policy.passcode_key, current.id, code, current.code_hash):
                now = clock.now()
                # finished_at is NULL before (the WHERE says so): writing NULL again when not finishing changes nothing.
                used = _USE_CODE.execute(now=now, finished_at=now if finish else None, id=current.id,
                                         code_hash=current.code_hash)
                if not used:
                    closed = Challenge.select(Challenge.finished_at).where(Challenge.id == current.id).scalar()
                    raise FlowExpired() if finish and closed else CodeVoided()
                limits.record_success(current.user_id)
                challenge.verified_at = clock.now()
                return on_success()
            # Wrong: the try, the failure and the owner's notice are committed before the answer.
            Challenge.update(failures=Challenge.failures + 1).where(Challenge.id == current.id).execute()
            limits.record_failure(policy, current.user_id, ip=ip, user_agent=user_agent)
            attempts, failures = (Challenge.select(Challenge.attempts, Challenge.failures)
                                  .where(Challenge.id == current.id).tuples().get())
            note_wrong_code(current, failures, ip=ip, user_agent=user_agent)
            ended = limits.end_if_used_up(policy, current.id)
    if ended:
        raise TooManyTries()
    left = policy.passcode_max_attempts - attempts
    if left <= 0:
        raise CodeVoided(CODE_WRONG_AND_VOIDED)
    raise WrongCode(left)
