"""An authenticator app as a second step beside SMS: set it up, use it to sign in, remove it.

The app is added to an account whose two-step verification is set up (its
number confirmed, its recovery code kept): SMS stays the article's journey and
the way back in (Enable, a new number), the app is a second way to pass the
second step. Unsubscribe and an administrator's reset remove it with the rest.

- Set-up: a new secret is sealed into a "totp" Challenge bound to the browser;
  a first right code from the app moves it, sealed for the account, onto the
  account row, in one transaction with the security event.
- Sign-in, and the step-up before a sensitive change: the same try counting and lock as SMS
  passcodes and recovery codes
  (twostep/limits.py). The secret is unsealed once per attempt. A code is
  accepted once: the account's last used time step only moves forward, in a
  conditional UPDATE, so a replay (even a parallel one) fails.
"""
import accounts
from accounts import events
from core import clock
from models import Challenge, User, db
from twostep import challenges, limits, passkeys, totp
from twostep import refusals as errors
from twostep.codes import read_passcode
from twostep.refusals import FlowExpired, TwoStepError
from twostep.sealed import SealError, seal, unseal
from twostep.signin import effective_state

# The methods of the second step, as stored in User.second_step_method (passkeys: twostep/passkeys.py).
SMS, TOTP, PASSKEY = "sms", "totp", "passkey"


def _account_context(user_id):
    return f"totp:user:{user_id}"


def _pending_context(user_id):
    return f"totp:pending:{user_id}"


def has_app(user):
    return bool(user.totp_secret)


def _without_passkeys(user):
    """SMS and the app, read off the account's row (no query)."""
    found = []
    if user.phone:
        found.append(SMS)
    if has_app(user):
        found.append(TOTP)
    return found


def methods(user):
    """The account's ways through the second step, in the order "Try another method" lists them."""
    found = _without_passkeys(user)
    if passkeys.has_passkey(user):
        found.append(PASSKEY)
    return found


def first_method(user):
    """The method the second step opens on: the one last used, while the account still has it.

    Passkeys are looked up only when one was the last method: every other sign-in reads no more rows.
    """
    if user.second_step_method == PASSKEY and passkeys.has_passkey(user):
        return PASSKEY
    available = _without_passkeys(user)
    if user.second_step_method in available:
        return user.second_step_method
    return available[0] if available else SMS


# --- Set-up -------------------------------------------------------------------------------------

def begin_setup(policy, user):
    """A new secret for the app, kept sealed in a challenge until a first code confirms it.

    Returns (challenge, token, secret).
    """
    if effective_state(user) not in ("on", "off"):
        raise TwoStepError(errors.TOTP_NEEDS_TWO_STEP, status=409)
    if has_app(user):
        raise TwoStepError(errors.TOTP_ALREADY, status=409)
    secret = totp.new_secret()
    challenge, token = challenges.open_challenge(user.id, "totp")
    with db.atomic():
        Challenge.update(secret=seal(policy.sealing_key, secret, _pending_context(user.id))).where(
            Challenge.id == challenge.id).execute()
    return challenge, token, secret


def pending_secret(policy, challenge):
    """The secret of the app being set up in `challenge`."""
    return unseal(policy.sealing_key, Challenge.get_by_id(challenge.id).secret, _pending_context(challenge.user_id))


def finish_setup(policy, challenge, raw_code, browser=None):
    """Check the app's first code; when right, the app becomes a second step of the account.

    Wrong codes count against the challenge like passcodes do (PASSCODE_MAX_ATTEMPTS,
    then it is void and set-up starts again with a new secret). Like every change to
    two-step verification, it ends the account's other sessions in its transaction.
    """
    browser = browser or accounts.Browser()
    code = read_passcode(raw_code)
    if code is None:
        raise TwoStepError(errors.TOTP_FORMAT)
    try:
        secret = pending_secret(policy, challenge)
    except SealError:
        raise FlowExpired()
    step = totp.matching_step(secret, code, clock.now())
    if step is None:
        with db.atomic():
            counted = (Challenge.update(attempts=Challenge.attempts + 1)
                       .where(Challenge.id == challenge.id, Challenge.finished_at.is_null(),
                              Challenge.attempts < policy.passcode_max_attempts - 1).execute())
            if not counted:
                challenges.finish(challenge)
        if not counted:
            raise FlowExpired()
        raise TwoStepError(errors.TOTP_SETUP_WRONG)
    now = clock.now()
    with db.atomic():
        # The challenge first, then the account: the order every other change locks them in.
        if not challenges.finish(challenge):
            raise FlowExpired()
        added = (User.update(totp_secret=seal(policy.sealing_key, secret, _account_context(challenge.user_id)),
                             totp_step=step, totp_added_at=now, second_step_method=TOTP)
                 .where(User.id == challenge.user_id, User.totp_secret.is_null(), User.two_step != "none")
                 .execute())
        if not added:
            raise TwoStepError(errors.TOTP_ALREADY, status=409)
        events.record(challenge.user_id, "totp_added", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(challenge.user_id, browser, step_up_used=True)


def remove(user, browser=None):
    """Remove the app: sign-in uses SMS (or the recovery code) again."""
    browser = browser or accounts.Browser()
    with db.atomic():
        removed = (User.update(totp_secret=None, totp_step=None, totp_added_at=None, second_step_method=None)
                   .where(User.id == user.id, User.totp_secret.is_null(False)).execute())
        if not removed:
            raise TwoStepError(errors.TOTP_NONE, status=409)
        events.record(user.id, "totp_removed", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(user.id, browser, step_up_used=True)


# --- Sign-in ------------------------------------------------------------------------------------

def complete_signin(policy, challenge, raw_code, browser):
    """Sign `browser` in with the app's code: right, within ±1 step, and later than the last code used.

    The session and its event are written inside the transaction that uses the code up, after
    the pending sign-in is finished (a double submit of a right code is not a guess). Returns the account.
    A wrong or replayed code counts against the account's lock like a wrong passcode.
    """
    def finish():
        if not challenges.finish(challenge):
            raise FlowExpired()

    user = User.get_by_id(challenge.user_id)
    return _use_code(policy, user, raw_code, lambda: accounts.sign_in(user, browser), before=finish)


def confirm_step_up(policy, user, raw_code, browser):
    """The app's code as the second factor of `browser`'s step-up (twostep/stepup.py): the same checks as a
    sign-in."""
    return _use_code(policy, user, raw_code, lambda: accounts.second_factor_confirmed(browser.session_token))


def _use_code(policy, user, raw_code, on_success, before=lambda: None):
    """Check the app's code for `user`; when right, use it up and call `on_success()` in one transaction."""
    code = read_passcode(raw_code)
    if code is None:
        raise TwoStepError(errors.TOTP_FORMAT)
    if not has_app(user):
        raise TwoStepError(errors.TOTP_NONE, status=409)
    limits.ensure_not_locked(user)
    limits.claim_try(policy, user.id)
    try:
        secret = unseal(policy.sealing_key, user.totp_secret, _account_context(user.id))
    except SealError:  # sealed under another SECRET_KEY, or not this account's: the other methods remain
        limits.release_try(user.id)
        raise TwoStepError(errors.TOTP_UNREADABLE, status=409)
    step = totp.matching_step(secret, code, clock.now())
    if step is None:
        limits.record_failure(policy, user.id)
        raise TwoStepError(errors.TOTP_WRONG)
    try:
        with db.atomic():
            before()  # the pending sign-in's row first, then the account's: the order every change locks them in
            used = (User.update(totp_step=step, second_step_method=TOTP)
                    .where(User.id == user.id, User.totp_secret == user.totp_secret,
                           User.totp_step.is_null() | (User.totp_step < step))
                    .execute())
            if not used:
                raise TwoStepError(errors.TOTP_USED)
            limits.record_success(user.id)
            return on_success()
    except FlowExpired:
        limits.release_try(user.id)  # a double submit of a right code is not a guess
        raise
    except TwoStepError:
        limits.record_failure(policy, user.id)  # a replayed code is a guess like any other
        raise
