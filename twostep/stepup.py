"""Step-up for sensitive changes: Off, Unsubscribe, a new number, a new recovery code.

Being signed in is not enough for these: a copied session cookie would be.
Each needs, in this session and within REAUTH_MINUTES, both
  1. the password typed again for this purpose (/reauth; signing in does not count), and
  2. a passcode sent to the account's current number, the authenticator app's code
     (twostep/authenticator.confirm_step_up), a passkey (twostep/passkeys.confirm_step_up),
     or the recovery code.
The change then uses both up (accounts.end_step_up): the next one asks again.

A recovery code is single use: confirming with it replaces it with a new one,
shown once, in the same transaction (and the owner is e-mailed, like any new
recovery code). The session's step-up times live on its AuthSession row
(accounts.py); the passcode is an ordinary "stepup" Challenge, bound to
this browser, with the usual expiry, tries, caps and lock.
"""
import accounts
from accounts import events
from models import User
from twostep import challenges, limits, refusals
from twostep.refusals import FlowExpired, TwoStepError
from twostep.signin import effective_state, use_recovery_code

PURPOSE = "stepup"


def _require_number(user):
    if effective_state(user) not in ("on", "off") or not user.phone:
        raise TwoStepError(refusals.WRONG_STATE, status=409)


def begin(user):
    """Open the verification for a passcode to the current number; returns (challenge, token)."""
    _require_number(user)
    return challenges.open_challenge(user.id, PURPOSE, phone=user.phone)


def pending(policy, token, user_id):
    return challenges.find_challenge(token, PURPOSE, user_id=user_id, max_age_minutes=policy.reauth_minutes)


def send_code(policy, sender, challenge, *, ip, locale="en"):
    """Send (or resend) the passcode to the account's current, confirmed number."""
    user = User.get_by_id(challenge.user_id)
    limits.ensure_not_locked(user)
    if user.phone != challenge.phone:  # the number changed since: this verification is for the old one
        raise FlowExpired()
    challenges.send_passcode(policy, sender, challenge, ip=ip, locale=locale)


def confirm_with_passcode(policy, challenge, raw_code, browser):
    """Check the passcode; when right, finish the challenge and record this browser's second factor,
    in the transaction that uses the code up."""

    def finish():
        if not challenges.finish(challenge):
            raise FlowExpired()
        accounts.second_factor_confirmed(browser.session_token)

    return challenges.verify_passcode(policy, challenge, raw_code, on_success=finish)


def confirm_with_recovery_code(policy, user, raw_code, browser, *, is_the_change=False):
    """Check and use up the recovery code; a new one replaces it. Returns the new code, to show once.

    In the same transaction: the "recovery_code_new" event and this browser's
    second factor; and when a new recovery code was the change the user came
    for (`is_the_change`), that change is done: the step-up is used up and the
    account's other sessions end (this browser's token is renewed).
    """
    _require_number(user)

    def replace():
        events.record(user.id, "recovery_code_new", ip=browser.ip, user_agent=browser.user_agent)
        accounts.second_factor_confirmed(browser.session_token)
        if is_the_change:
            accounts.end_other_sessions(user.id, browser, step_up_used=True)

    return use_recovery_code(policy, user, raw_code, replace)
