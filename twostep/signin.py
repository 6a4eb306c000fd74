"""The second step of sign-in: SMS passcode, or the recovery code (checklist items 5-10, 18-19).

A correct password opens a "signin" Challenge that grants nothing by itself
and expires after PENDING_SIGNIN_MINUTES. Only a correct passcode or
recovery code for that challenge completes the sign-in, and it does so in the
same transaction that uses the code up.
"""
import datetime
import logging

from models import Challenge, User, db
from accounts import events
from core import clock
from twostep import challenges, limits
from twostep.codes import hash_recovery_code, new_recovery_code, read_recovery_code, recovery_code_matches
from twostep import refusals
from twostep.refusals import FlowExpired, TooManyTries, TwoStepError, WrongRecoveryCode

log = logging.getLogger(__name__)


def effective_state(user, now=None):
    """'none', 'on' or 'off'; an Off whose time is up counts as on again."""
    now = now or clock.now()
    if user.two_step == "off" and user.off_until is not None and now >= user.off_until:
        return "on"
    return user.two_step


def off_until(user):
    """When an Off account turns back on by itself (None: stays off until Enable)."""
    return user.off_until if user.two_step == "off" else None


def needs_second_step(user):
    return effective_state(user) == "on"


def begin(user):
    """After a correct password: open the pending sign-in. Returns (challenge, token)."""
    if user.two_step == "off" and effective_state(user) == "on":
        # The Off period is over: make it so on the row too, once.
        User.update(two_step="on", off_until=None).where(User.id == user.id, User.two_step == "off").execute()
    challenge, token = challenges.open_challenge(user.id, "signin", phone=user.phone)
    challenge.user = user  # already read: sending checks its number without reading it again
    return challenge, token


def pending(policy, token):
    """The browser's pending sign-in, if its password is still fresh enough."""
    return challenges.find_challenge(token, "signin", max_age_minutes=policy.pending_signin_minutes)


def send_code(policy, sender, challenge, *, ip, locale="en", user=None):
    """Send (or resend) the sign-in passcode to the account's confirmed number, written in `locale`.

    Nothing is sent while passcodes are locked: the code could not be used anyway.
    `user`: the account as this request already read it (else `challenge.user`).
    """
    limits.ensure_not_locked(user or challenge.user)
    challenges.send_passcode(policy, sender, challenge, ip=ip, to_confirmed=True, locale=locale)


def complete_with_passcode(policy, challenge, raw_code, start_session, *, ip="", user_agent=""):
    """Check the passcode; when right, finish the challenge and call `start_session()` in one transaction."""

    def used(user=challenge.user):
        if user.second_step_method not in (None, "sms"):
            # The last sign-in used another method: the next one opens on SMS again.
            User.update(second_step_method="sms").where(User.id == user.id).execute()
        return start_session()

    return challenges.verify_passcode(policy, challenge, raw_code, on_success=used, finish=True,
                                      ip=ip, user_agent=user_agent)


def _just_used(policy, user, code):
    """True when `code` is the recovery code that was used a moment ago (a double submit or a replay)."""
    if not user.previous_recovery_hash or not user.recovery_used_at:
        return False
    if user.recovery_used_at < clock.now() - datetime.timedelta(minutes=policy.pending_signin_minutes):
        return False
    return recovery_code_matches(user.previous_recovery_hash, code)


def use_recovery_code(policy, user, raw_code, in_transaction, *, challenge=None, ip="", user_agent=""):
    """Check and use up the user's recovery code, replacing it with a new one; return the new code.

    `in_transaction()` runs in the transaction that swaps the codes; it
    returns False when what the code was for is gone (then nothing changes,
    and the code is not used up).

    The account's passcode lock does not apply: 80 random bits cannot be
    guessed, so the owner can always get in this way (and a success ends the
    lock). Wrong codes count against `challenge` (a pending sign-in) only,
    which ends after LOCKOUT_FAILURES of them; the per-IP request limit
    bounds the rest. A replay of the code that just succeeded is "already
    used", never a wrong guess.
    """
    code = read_recovery_code(raw_code)
    if code is None:
        raise TwoStepError(refusals.RECOVERY_FORMAT)
    if challenge is not None and not limits.claim_challenge_try(policy, challenge.id):
        # All tries are taken: by wrong codes (the last of them ended the sign-in), or by
        # parallel submits still being checked (a right one among them may yet win).
        raise TooManyTries()
    settled = False
    try:
        user = User.get_by_id(user.id)
        if not recovery_code_matches(user.recovery_hash, code):
            if _just_used(policy, user, code):
                raise WrongRecoveryCode(refusals.RECOVERY_USED)
            ended = False
            if challenge is not None:
                with db.atomic():
                    failures = Challenge.select(Challenge.failures).where(Challenge.id == challenge.id).scalar() or 0
                    challenges.note_wrong_code(challenge, failures, ip=ip, user_agent=user_agent)
                    ended = limits.end_if_used_up(policy, challenge.id)
            settled = True
            log.info("wrong recovery code: user=%s ip=%s", user.id, ip)
            if ended:
                raise TooManyTries()
            raise WrongRecoveryCode()
        new_code = new_recovery_code()
        new_hash = hash_recovery_code(new_code)  # hashed before the transaction: it is deliberately slow
        with db.atomic():
            # Conditional on the hash just checked: of parallel uses, one wins. The caller's
            # challenge row is locked before the account's, in the same order as a passcode
            # check, so the two cannot deadlock on PostgreSQL.
            if in_transaction() is False or not (
                    User.update(recovery_hash=new_hash, previous_recovery_hash=user.recovery_hash,
                                recovery_used_at=clock.now())
                    .where(User.id == user.id, User.recovery_hash == user.recovery_hash).execute()):
                raise WrongRecoveryCode(refusals.RECOVERY_USED)
            limits.record_success(user.id)
    finally:
        if not settled and challenge is not None:
            # Not a wrong guess: the right code, a replay, a right code that lost the race, or an error.
            limits.release_challenge_try(challenge.id)
    return new_code


def complete_with_recovery_code(policy, challenge, raw_code, start_session, *, ip="", user_agent=""):
    """Sign in with the recovery code: it is used up and a new one replaces it.

    Returns (start_session's result, the new recovery code to show once).
    """
    user = challenge.user  # read with the challenge (challenges.find_challenge)
    result = []

    def sign_in():
        if not challenges.finish(challenge):
            return False
        events.record(user.id, "signin_recovery", ip=ip, user_agent=user_agent)
        result.append(start_session())
        return True

    new_code = use_recovery_code(policy, user, raw_code, sign_in, challenge=challenge, ip=ip, user_agent=user_agent)
    return result[0], new_code
