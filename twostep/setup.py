"""The set-up wizard's rules (help article STEP 2-6; checklist items 20, 22).

The order is enforced here: phone -> passcode confirmed -> recovery code
shown -> "I kept this number in a safe place" ticked. Progress lives on the
enrolment's Challenge row, not on the account, so leaving half-way changes
nothing; the account changes only in `confirm()`, in one transaction.
"""
from models import Challenge, User, db
from accounts import events
from core import clock
from twostep import challenges
from twostep.codes import hash_recovery_code, new_recovery_code
from twostep import refusals
from twostep.refusals import FlowExpired, NotBoxTicked, TwoStepError
from core.phones import parse_phone

STEPS = ("phone", "passcode", "recovery", "confirm")


def next_step(challenge):
    """The first step of the wizard not done yet for this enrolment."""
    if challenge is None or not challenge.phone:
        return "phone"
    if not challenge.verified_at:
        return "passcode"
    if not challenge.recovery_shown_at:
        return "recovery"
    return "confirm"


def may_open(challenge, step):
    """A step may be opened once every step before it is done."""
    return STEPS.index(step) <= STEPS.index(next_step(challenge))


def begin(user):
    """Open a new enrolment for an account without two-step verification."""
    if user.two_step != "none":
        raise TwoStepError(refusals.ALREADY_SET_UP, status=409)
    return challenges.open_challenge(user.id, "enrol")


def choose_phone(policy, sender, challenge, raw_phone, *, ip, locale="en"):
    """Take the number typed at the phone step and send it a passcode.

    A different number from before starts over with a new code; the same
    number keeps its code and its resend cooldown.
    """
    phone = parse_phone(raw_phone, policy.phone_region, policy.allowed_countries)
    if phone != challenge.phone:
        with db.atomic():
            Challenge.update(phone=phone, code_hash=None, code_sent_at=None, attempts=0, verified_at=None,
                             recovery_hash=None, recovery_shown_at=None).where(Challenge.id == challenge.id).execute()
        challenge.phone, challenge.code_hash, challenge.code_sent_at = phone, None, None
        challenge.verified_at = challenge.recovery_shown_at = None
    elif challenge.verified_at or (challenge.code_hash and challenges.expires_in(policy, challenge)):
        return  # "Continue" again with the same number: it is confirmed, or its live code still stands
    challenges.send_passcode(policy, sender, challenge, ip=ip, to_confirmed=False, locale=locale)


def issue_recovery_code(challenge):
    """Make the recovery code shown at STEP 5 and return it; only its hash is kept.

    Opening the step again makes a new code: the one shown before was never
    active and cannot be shown twice.
    """
    code = new_recovery_code()
    now = clock.now()
    with db.atomic():
        Challenge.update(recovery_hash=hash_recovery_code(code), recovery_shown_at=now).where(
            Challenge.id == challenge.id).execute()
    challenge.recovery_shown_at = now
    return code


def confirm(challenge, ticked, *, ip="", user_agent=""):
    """STEP 6: with the box ticked, turn two-step verification on, all in one transaction."""
    if not ticked:
        raise NotBoxTicked()
    fresh = Challenge.get_by_id(challenge.id)
    if next_step(fresh) != "confirm":
        raise FlowExpired()
    with db.atomic():
        if not challenges.finish(fresh):
            raise FlowExpired()
        switched = (User.update(two_step="on", phone=fresh.phone, recovery_hash=fresh.recovery_hash, off_until=None)
                    .where(User.id == fresh.user_id, User.two_step == "none").execute())
        if not switched:
            raise FlowExpired(refusals.ALREADY_SET_UP)
        events.record(fresh.user_id, "two_step_on", ip=ip, user_agent=user_agent)
