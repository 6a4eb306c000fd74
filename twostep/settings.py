"""Off, Enable, Unsubscribe, a new number and a new recovery code (help article, last notes).

Each change is one transaction that also records a security event. The
views ask for a recent password first (checklist item 21) and end the
account's other sessions after it.
"""
import datetime

from models import AuthSession, User, db
from accounts import events
from core import clock
from twostep import challenges
from twostep.codes import hash_recovery_code, new_recovery_code
from twostep import refusals
from twostep.refusals import FlowExpired, TwoStepError
from core.phones import mask_phone, parse_phone
from twostep.signin import effective_state


# Unsubscribe and a reset remove the authenticator app with the rest of two-step verification.
NO_APP = {"totp_secret": None, "totp_step": None, "totp_added_at": None, "second_step_method": None}


def _require(user, *states):
    if effective_state(user) not in states:
        raise TwoStepError(refusals.WRONG_STATE, status=409)


def turn_off(policy, user, *, ip="", user_agent=""):
    """Off: stop asking for a passcode for a while; the number and recovery code are kept."""
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
        detail = f"until {until:%Y-%m-%d %H:%M} UTC" if until else ""
        events.record(user.id, "two_step_off", ip=ip, user_agent=user_agent, detail=detail)
    return until


def begin_enable(user):
    """Enable: a passcode to the kept number must confirm it still reaches the user."""
    _require(user, "off")
    return challenges.open_challenge(user.id, "enable", phone=user.phone)


def finish_enable(policy, challenge, raw_code, *, ip="", user_agent=""):
    def switch_on():
        if not challenges.finish(challenge):
            raise FlowExpired()
        User.update(two_step="on", off_until=None).where(User.id == challenge.user_id).execute()
        events.record(challenge.user_id, "two_step_enabled", ip=ip, user_agent=user_agent)

    challenges.verify_passcode(policy, challenge, raw_code, on_success=switch_on, ip=ip, user_agent=user_agent)


def unsubscribe(user, *, ip="", user_agent=""):
    """Remove two-step verification completely: the number, the recovery code and any authenticator app."""
    _require(user, "on", "off")
    with db.atomic():
        # Verifications in progress for the old set-up end with it. (Challenges
        # before the account: the order every other change locks them in.)
        challenges.close_open(user.id)
        User.update(two_step="none", phone=None, recovery_hash=None, previous_recovery_hash=None, off_until=None,
                    second_step_failures=0, lock_rounds=0, locked_until=None, **NO_APP).where(User.id == user.id).execute()
        events.record(user.id, "two_step_unsubscribed", ip=ip, user_agent=user_agent)


def regenerate_recovery_code(user, *, ip="", user_agent=""):
    """A new recovery code replaces the old one, which stops working at once."""
    _require(user, "on", "off")
    code = new_recovery_code()
    new_hash = hash_recovery_code(code)
    with db.atomic():
        challenges.close_open(user.id)
        User.update(recovery_hash=new_hash, previous_recovery_hash=None).where(User.id == user.id).execute()
        events.record(user.id, "recovery_code_new", ip=ip, user_agent=user_agent)
    return code


def begin_number_change(policy, sender, user, raw_phone, *, ip, locale="en"):
    """A new number gets a passcode before anything on the account changes (item 22)."""
    _require(user, "on", "off")
    phone = parse_phone(raw_phone, policy.phone_region, policy.allowed_countries)
    if phone == user.phone:
        raise TwoStepError(refusals.SAME_NUMBER)
    challenge, token = challenges.open_challenge(user.id, "change", phone=phone)
    challenges.send_passcode(policy, sender, challenge, ip=ip, to_confirmed=False, locale=locale)
    return challenge, token


def finish_number_change(policy, challenge, raw_code, *, ip="", user_agent=""):
    def switch_number():
        if not challenges.finish(challenge):
            raise FlowExpired()
        challenges.close_open(challenge.user_id)  # a sign-in or Enable pending for the old number ends
        User.update(phone=challenge.phone).where(User.id == challenge.user_id).execute()
        events.record(challenge.user_id, "number_changed", ip=ip, user_agent=user_agent,
                      detail=f"to {mask_phone(challenge.phone)}")

    challenges.verify_passcode(policy, challenge, raw_code, on_success=switch_number, ip=ip, user_agent=user_agent)


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
        ended = (AuthSession.update(revoked_at=now)
                 .where(AuthSession.user == user.id, AuthSession.revoked_at.is_null()).execute())
        events.record(user.id, "two_step_reset", actor=events.ADMINISTRATOR)
    return ended
