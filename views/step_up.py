"""Step-up before a sensitive change: the password again, then a passcode or the recovery code.

Off, Unsubscribe, a new number and a new recovery code call
`step_up_or_prompt()` first (rules: twostep/stepup.py). It sends the
browser to /reauth for the password, then here: "Send passcode" texts the
current number; "Use your authenticator app instead" takes the app's code
(accounts that have one, twostep/authenticator.py); "Try another method"
takes the recovery code instead (used up and replaced by a new one, shown
once). Then back to the change, which
uses the step-up up (`after_sensitive_change()`).

These pages need the fresh password themselves, so a copied cookie alone
cannot make them send SMS or try recovery codes.
"""
from flask import Blueprint, flash, request, session, url_for
from flask_login import current_user, login_required

import accounts
from core.refusals import Refused
from twostep import authenticator, stepup
from twostep.codes import format_recovery_code
from views import messages
from views.forms import AppCodeForm, ButtonForm, PasscodeForm, RecoveryCodeForm, first_error
from views.htmx import go, page, refused
from views.i18n import locale, show_phone, text
from views.limiter import limit_posts
from views.passcode_screen import passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import renew_session_token
from views.web import auth_session, client_ip, policy, safe_next, sender, who

# A child of the /two-step blueprint (views/__init__.py): endpoints two_step.step_up.*.
bp = Blueprint("step_up", __name__, url_prefix="/verify")

NEXT = "stepup_next"


def step_up_or_prompt():
    """None when this session may make a sensitive change now; else the redirect to the missing step."""
    minutes = policy().reauth_minutes
    if not accounts.recently_authenticated(auth_session(), minutes):
        return go(url_for("account.reauth", next=request.path))
    if current_user.phone and not accounts.second_factor_recent(auth_session(), minutes):
        session[NEXT] = request.path
        return go(url_for("two_step.step_up.start"))
    return None


def after_sensitive_change():
    """After a change: the step-up is used up, other sessions end, this one gets a new token (item 24)."""
    accounts.end_step_up(session.get("sid"))
    accounts.revoke_other_sessions(current_user.id, session.get("sid"))
    renew_session_token()


def _password_or_prompt():
    if accounts.recently_authenticated(auth_session(), policy().reauth_minutes):
        return None
    return go(url_for("account.reauth", next=url_for("two_step.step_up.start")))


def _next():
    return safe_next(session.get(NEXT), url_for("account.personal"))


def _confirmed():
    """Inside the transaction that used the code: this session has its second factor."""
    accounts.second_factor_confirmed(session.get("sid"))


def _pending():
    return stepup.pending(policy(), session.get(stepup.PURPOSE), current_user.id)


@bp.route("", methods=["GET", "POST"])
@login_required
@limit_posts
def start():
    """Confirm it is you: send a passcode to the current number (or "Try another method")."""
    prompt = _password_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    context = {"form": form, "masked_phone": show_phone(current_user.phone, masked=True),
               "has_app": authenticator.has_app(current_user)}
    if form.validate_on_submit():
        try:
            challenge, session[stepup.PURPOSE] = stepup.begin(current_user)
            stepup.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("settings/verify.html", error, **context)
        return go(url_for("two_step.step_up.passcode"))
    return page("settings/verify.html", error=None, **context)


@bp.route("/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
def passcode():
    """Enter the passcode sent to the current number, and Continue to the change."""
    prompt = _password_or_prompt()
    if prompt:
        return prompt
    challenge = _pending()
    if challenge is None:
        flash(text(messages.STEP_EXPIRED), "error")
        return go(url_for("two_step.step_up.start"))
    form = PasscodeForm()
    if form.validate_on_submit():
        try:
            stepup.confirm_with_passcode(policy(), challenge, form.code.data, _confirmed)
        except Refused as error:
            return refused("settings/verify_passcode.html", error, **passcode_screen(challenge, form))
        session.pop(stepup.PURPOSE, None)
        return go(_next())
    error = first_error(form) if form.is_submitted() else None
    return page("settings/verify_passcode.html", status=422 if error else 200, error=error,
                **passcode_screen(challenge, form))


@bp.post("/resend")
@login_required
@limit_posts
def resend():
    """Resend the step-up passcode (30-second cooldown)."""
    prompt = _password_or_prompt()
    if prompt:
        return prompt
    challenge = _pending()
    if challenge is None:
        return go(url_for("two_step.step_up.start"))
    return resend_code(
        "settings/verify_passcode.html", lambda: passcode_screen(challenge),
        lambda: stepup.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("two_step.step_up.passcode"))


@bp.route("/recovery", methods=["GET", "POST"])
@login_required
@limit_posts
def recovery():
    """Confirm with the recovery code instead; a new one replaces it and is shown once."""
    prompt = _password_or_prompt()
    if prompt:
        return prompt
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            new_code = stepup.confirm_with_recovery_code(policy(), current_user, form.code.data, _confirmed, **who())
        except Refused as error:
            return refused("settings/verify_recovery.html", error, form=form)
        target = _next()
        if target == url_for("two_step.settings.new_recovery_code"):
            # The new recovery code was what the user came for: it is done.
            after_sensitive_change()
            target = url_for("account.personal")
        return page("settings/verify_new_code.html", recovery_code=format_recovery_code(new_code),
                    site_name=policy().site_name, next_url=target)
    error = first_error(form) if form.is_submitted() else None
    return page("settings/verify_recovery.html", status=422 if error else 200, form=form, error=error)


@bp.route("/authenticator", methods=["GET", "POST"])
@login_required
@limit_posts
def authenticator_code():
    """Confirm with the authenticator app's code instead (accounts that have one); a code works once."""
    prompt = _password_or_prompt()
    if prompt:
        return prompt
    if not authenticator.has_app(current_user):
        return go(url_for("two_step.step_up.start"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            authenticator.confirm_step_up(policy(), current_user, form.code.data, _confirmed)
        except Refused as error:
            return refused("settings/verify_authenticator.html", error, form=form)
        return go(_next())
    error = first_error(form) if form.is_submitted() else None
    return page("settings/verify_authenticator.html", status=422 if error else 200, form=form, error=error)
