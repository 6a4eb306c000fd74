"""The second step of sign-in: SMS passcode, or the recovery code (checklist items 5-10, 18-19).

A correct password opens a "signin" Challenge that grants nothing by itself
and expires after PENDING_SIGNIN_MINUTES. Only a correct passcode or
recovery code for that challenge completes the sign-in, and it does so in the
same transaction that uses the code up.
"""
from models import User, db
from accounts import events
from core import clock
from twostep import challenges, limits
from twostep.codes import hash_recovery_code, new_recovery_code, read_recovery_code, recovery_code_matches
from twostep import refusals
from twostep.refusals import TwoStepError, WrongRecoveryCode


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
    return challenges.open_challenge(user.id, "signin", phone=user.phone)


def pending(policy, token):
    """The browser's pending sign-in, if its password is still fresh enough."""
    return challenges.find_challenge(token, "signin", max_age_minutes=policy.pending_signin_minutes)


def send_code(policy, sender, challenge, *, ip, locale="en", user=None):
    """Send (or resend) the sign-in passcode to the account's confirmed number, written in `locale`.

    Nothing is sent while the second step is locked: the code could not be used anyway.
    `user`: the account as this request already read it (else `challenge.user`).
    """
    limits.ensure_not_locked(user or challenge.user)
    challenges.send_passcode(policy, sender, challenge, ip=ip, to_confirmed=True, locale=locale)


def complete_with_passcode(policy, challenge, raw_code, start_session):
    """Check the passcode; when right, finish the challenge and call `start_session()` in one transaction."""

    def used(user=challenge.user):
        if user.second_step_method not in (None, "sms"):
            # The last sign-in used another method: the next one opens on SMS again.
            User.update(second_step_method="sms").where(User.id == user.id).execute()
        return start_session()

    return challenges.verify_passcode(policy, challenge, raw_code, on_success=used, finish=True)


def use_recovery_code(policy, user, raw_code, in_transaction):
    """Check and use up the user's recovery code, replacing it with a new one; return the new code.

    `in_transaction()` runs in the transaction that swaps the codes; it
    returns False when what the code was for is gone (then nothing changes,
    and the code is not used up). Wrong codes count towards the second-step
    lock like wrong passcodes.
    """
    code = read_recovery_code(raw_code)
    if code is None:
        raise TwoStepError(refusals.RECOVERY_FORMAT)
    limits.ensure_not_locked(user)
    limits.claim_try(policy, user.id)
    if not recovery_code_matches(user.recovery_hash, code):
        limits.record_failure(policy, user.id)
        raise WrongRecoveryCode()
    new_code = new_recovery_code()
    new_hash = hash_recovery_code(new_code)  # hashed before the transaction: it is deliberately slow
    try:
        with db.atomic():
            # Conditional on the hash just checked: of parallel uses, one wins. The caller's
            # challenge row is locked before the account's, in the same order as a passcode
            # check, so the two cannot deadlock on PostgreSQL.
            if in_transaction() is False or not (
                    User.update(recovery_hash=new_hash)
                    .where(User.id == user.id, User.recovery_hash == user.recovery_hash).execute()):
                raise WrongRecoveryCode(refusals.RECOVERY_USED)
            limits.record_success(user.id)
    except WrongRecoveryCode:
        limits.release_try(user.id)  # a right code that lost the race is not a wrong guess
        raise
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

    new_code = use_recovery_code(policy, user, raw_code, sign_in)
    return result[0], new_code
