"""The set-up wizard (help article STEP 2-6): phone, passcode, recovery code, confirmation.

One URL and one template per step. The enrolment is a Challenge whose token
is in this browser's session; twostep/setup_rules.py decides which step may
open, and a step opened too early redirects to the first unfinished one.
"""
from flask import Blueprint, current_app, flash, session, url_for
from flask_login import current_user, login_required

import accounts
from twostep import challenges
from twostep import setup as setup_rules
from twostep.codes import format_recovery_code
from core.refusals import N_, Refused
from core.phones import format_phone
from views import messages
from views.sessions import renew_session_token
from views.forms import ButtonForm, KeptForm, PasscodeForm, PhoneForm, first_error
from views.htmx import go, page, refused
from views.i18n import locale, text
from views.limiter import limit_posts
from views.passcode_screen import passcode_screen
from views.passcode_screen import resend as resend_code
from views.web import client_ip, policy, sender, who

bp = Blueprint("setup", __name__)

STEP_TITLES = (N_("Phone number"), N_("Passcode"), N_("Recovery code"), N_("Confirmation"))


def _enrolment():
    return challenges.find_challenge(session.get("enrol"), "enrol", user_id=current_user.id)


def step_context(step, **context):
    """The progress bar's variables for `step`, in the reader's language (the gallery uses it too)."""
    return {"step_number": setup_rules.STEPS.index(step) + 1, "step_titles": [text(t) for t in STEP_TITLES],
            **context}


def _gate(step):
    """(challenge, None) when `step` may open; else (None, a redirect to where the user belongs)."""
    if current_user.two_step != "none":
        return None, go(url_for("account.personal"))
    if current_app.config["EMAIL_VERIFICATION"] and not accounts.email_confirmed(current_user):
        # No SMS for an address nobody has proved to own: closes a path for SMS pumping with throwaway accounts.
        return None, go(url_for("email.required"))
    challenge = _enrolment()
    if step != "phone" and not setup_rules.may_open(challenge, step):
        return None, go(url_for(f"two_step.setup.{setup_rules.next_step(challenge)}"))
    return challenge, None


@bp.route("/phone", methods=["GET", "POST"])
@login_required
@limit_posts
def phone():
    """STEP 3: enter the phone number and Continue; a 6-digit passcode is sent by SMS."""
    challenge, elsewhere = _gate("phone")
    if elsewhere:
        return elsewhere
    form = PhoneForm()
    if form.validate_on_submit():
        if challenge is None:
            challenge, token = setup_rules.begin(current_user)
            session["enrol"] = token
        try:
            setup_rules.choose_phone(policy(), sender(), challenge, form.phone.data, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("setup/phone.html", error, form=form, **step_context("phone"))
        return go(url_for("two_step.setup.passcode"))
    if not form.is_submitted() and challenge is not None and challenge.phone:
        form.phone.data = format_phone(challenge.phone, policy().phone_region)  # "Edit" keeps the number
    error = first_error(form) if form.is_submitted() else None
    return page("setup/phone.html", status=422 if error else 200, form=form, error=error,
                **step_context("phone"))


def _passcode_context(challenge, form=None):
    return step_context("passcode", **passcode_screen(challenge, form))


@bp.route("/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
def passcode():
    """STEP 4: enter the 6-digit passcode and Continue; Edit and Resend are here too."""
    challenge, elsewhere = _gate("passcode")
    if elsewhere:
        return elsewhere
    if challenge.verified_at:
        return go(url_for("two_step.setup.recovery"))
    form = PasscodeForm()
    if form.validate_on_submit():
        try:
            challenges.verify_passcode(policy(), challenge, form.code.data, **who())
        except Refused as error:
            return refused("setup/passcode.html", error, **_passcode_context(challenge, form))
        return go(url_for("two_step.setup.recovery"))
    error = first_error(form) if form.is_submitted() else None
    return page("setup/passcode.html", status=422 if error else 200, error=error,
                **_passcode_context(challenge, form))


@bp.post("/resend")
@login_required
@limit_posts
def resend():
    """Resend: a new passcode to the same number; the old one stops working."""
    challenge, elsewhere = _gate("passcode")
    if elsewhere:
        return elsewhere
    if challenge.verified_at:
        return go(url_for("two_step.setup.recovery"))  # the number is confirmed: a new code would be useless
    return resend_code(
        "setup/passcode.html", lambda: _passcode_context(challenge),
        lambda: challenges.send_passcode(policy(), sender(), challenge, ip=client_ip(), to_confirmed=False,
                                         locale=locale()),
        url_for("two_step.setup.passcode"))


@bp.route("/recovery", methods=["GET", "POST"])
@login_required
@limit_posts
def recovery():
    """STEP 5: the recovery code, shown once, with Copy Code and a download.

    The first visit shows the code. Coming back shows that it was already
    shown; a POST ("Show a new code") replaces it with a new one.
    """
    challenge, elsewhere = _gate("recovery")
    if elsewhere:
        return elsewhere
    form = ButtonForm()
    code = None
    if challenge.recovery_shown_at is None or form.validate_on_submit():
        code = format_recovery_code(setup_rules.issue_recovery_code(challenge))
    return page("setup/recovery.html", recovery_code=code, form=form, site_name=policy().site_name,
                **step_context("recovery"))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limit_posts
def confirm():
    """STEP 6: tick "I kept this number in a safe place" and Continue; only now is it turned on."""
    challenge, elsewhere = _gate("confirm")
    if elsewhere:
        return elsewhere
    form = KeptForm()
    if form.validate_on_submit():
        try:
            setup_rules.confirm(challenge, form.kept.data, **who())
        except Refused as error:
            return refused("setup/confirm.html", error, form=form, **step_context("confirm"))
        session.pop("enrol", None)
        accounts.revoke_other_sessions(current_user.id, session.get("sid"))
        renew_session_token()
        flash(text(messages.TWO_STEP_ON), "info")
        return go(url_for("account.personal"))
    error = first_error(form) if form.is_submitted() else None
    return page("setup/confirm.html", status=422 if error else 200, form=form, error=error,
                **step_context("confirm"))
