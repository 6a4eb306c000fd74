"""Off, Enable, Unsubscribe, a new number and a new recovery code (help article, last notes).

Each change is one transaction that also records a security event and ends
the account's other sessions (this browser's session gets a new token). The
views ask for the password again first when it was not entered recently.
"""
import datetime

import accounts
from accounts import Browser, events
from core import clock
from core.phones import mask_phone, parse_phone
from models import AuthSession, Passkey, User, db
from twostep import challenges, refusals
from twostep.codes import hash_recovery_code, new_recovery_code
from twostep.refusals import FlowExpired, TwoStepError
from twostep.signin import effective_state


# Unsubscribe and a reset remove the authenticator app and the passkeys with the rest of two-step verification.
NO_APP = {"totp_secret": None, "totp_step": None, "totp_added_at": None, "second_step_method": None}


def _require(user, *states):
    if effective_state(user) not in states:
        raise TwoStepError(refusals.WRONG_STATE, status=409)


def turn_off(policy, user, browser=None):
    """Off: stop asking for a passcode for a while; the number and recovery code are kept.

    Returns when it turns back on by itself (None: it stays off until Enable).
    """
    browser = browser or Browser()
    _require(user, "on")
    until = None
    if policy.off_max_days:
        until = clock.now() + datetime.timedelta(days=policy.off_max_days)
    with db.atomic():
        challenges.close_open(user.id)  # challenges before the account: the order every change locks them in
        # Conditional on a kept number: an Unsubscribe from another tab may have come first.
        switched = (User.update(two_step="off", off_until=until)
                    .where(User.id == user.id, User.two_step != "none", User.phone.is_null(False)).execute())
        if not switched:
            raise TwoStepError(refusals.WRONG_STATE, status=409)
        details = {"until": until.isoformat(timespec="minutes")} if until else {}
        events.record(user.id, "two_step_off", ip=browser.ip, user_agent=browser.user_agent, details=details)
        accounts.end_other_sessions(user.id, browser, step_up_used=True)
    return until


def begin_enable(policy, sender, user, *, ip, locale="en"):
    """Enable: send a passcode to the kept number, which must confirm it still reaches the user.

    Returns (challenge, token); the token goes in the browser's session.
    """
    _require(user, "off")
    challenge, token = challenges.open_challenge(user.id, "enable", phone=user.phone)
    challenges.send_passcode(policy, sender, challenge, ip=ip, locale=locale)
    return challenge, token


def finish_enable(policy, challenge, raw_code, browser=None):
    """The passcode sent by Enable: when right, two-step verification is on again."""
    browser = browser or Browser()

    def switch_on():
        if not challenges.finish(challenge):
            raise FlowExpired()
        User.update(two_step="on", off_until=None).where(User.id == challenge.user_id).execute()
        events.record(challenge.user_id, "two_step_enabled", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(challenge.user_id, browser, step_up_used=True)

    challenges.verify_passcode(policy, challenge, raw_code, on_success=switch_on, ip=browser.ip, user_agent=browser.user_agent)


def unsubscribe(user, browser=None):
    """Remove two-step verification completely: the number, the recovery code, any authenticator app and
    every passkey."""
    browser = browser or Browser()
    _require(user, "on", "off")
    with db.atomic():
        # Verifications in progress for the old set-up end with it. (Challenges
        # before the account: the order every other change locks them in.)
        challenges.close_open(user.id)
        User.update(two_step="none", phone=None, recovery_hash=None, previous_recovery_hash=None, off_until=None,
                    second_step_failures=0, lock_rounds=0, locked_until=None, **NO_APP).where(User.id == user.id).execute()
        Passkey.delete().where(Passkey.user == user.id).execute()
        events.record(user.id, "two_step_unsubscribed", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(user.id, browser, step_up_used=True)


def regenerate_recovery_code(user, browser=None):
    """A new recovery code replaces the old one, which stops working at once. Returns the code."""
    browser = browser or Browser()
    _require(user, "on", "off")
    code = new_recovery_code()
    new_hash = hash_recovery_code(code)
    with db.atomic():
        challenges.close_open(user.id)
        User.update(recovery_hash=new_hash, previous_recovery_hash=None).where(User.id == user.id).execute()
        events.record(user.id, "recovery_code_new", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(user.id, browser, step_up_used=True)
    return code


def begin_number_change(policy, sender, user, raw_phone, *, ip, locale="en"):
    """A new number gets a passcode before anything on the account changes."""
    _require(user, "on", "off")
    phone = parse_phone(raw_phone, policy.phone_region, policy.allowed_countries)
    if phone == user.phone:
        raise TwoStepError(refusals.SAME_NUMBER)
    challenge, token = challenges.open_challenge(user.id, "change", phone=phone)
    challenges.send_passcode(policy, sender, challenge, ip=ip, locale=locale)
    return challenge, token


def finish_number_change(policy, challenge, raw_code, browser=None):
    """The passcode sent to the new number: when right, it replaces the old one."""
    browser = browser or Browser()

    def switch_number():
        if not challenges.finish(challenge):
            raise FlowExpired()
        challenges.close_open(challenge.user_id)  # a sign-in or Enable pending for the old number ends
        User.update(phone=challenge.phone).where(User.id == challenge.user_id).execute()
        events.record(challenge.user_id, "number_changed", ip=browser.ip, user_agent=browser.user_agent,
                      details={"to": mask_phone(challenge.phone)})
        accounts.end_other_sessions(challenge.user_id, browser, step_up_used=True)

    challenges.verify_passcode(policy, challenge, raw_code, on_success=switch_number,
                               ip=browser.ip, user_agent=browser.user_agent)


def reset_by_administrator(user):
    """For a user who lost both phone and recovery code (`flask two-step reset`).

    Removes two-step verification (number, recovery code, Off date, lock),
    ends the verifications in progress and every session of the account, and
    records "two_step_reset" by the administrator: all in one transaction.
    The user signs in with the password alone and can set it up again.
    """
    now = clock.now()
    with db.atomic():
        challenges.close_open(user.id)
        User.update(two_step="none", phone=None, recovery_hash=None, previous_recovery_hash=None, off_until=None,
                    second_step_failures=0, lock_rounds=0, locked_until=None, **NO_APP).where(User.id == user.id).execute()
        Passkey.delete().where(Passkey.user == user.id).execute()
        ended = (AuthSession.update(revoked_at=now)
                 .where(AuthSession.user == user.id, AuthSession.revoked_at.is_null()).execute())
        events.record(user.id, "two_step_reset", actor=events.ADMINISTRATOR)
    return ended
