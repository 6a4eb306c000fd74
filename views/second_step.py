"""The second step of sign-in: the passcode screen, Resend, "Try another method" and "Recovery code".

The browser's pending sign-in (a token in its session, set by views/auth.py
after a correct password) is all these views accept; it expires after
PENDING_SIGNIN_MINUTES. The rules are in twostep/signin.py.
"""
from flask import Blueprint, flash, session, url_for
from flask_login import current_user, login_required

from models import User
from twostep import events
from twostep import signin as signin_rules
from twostep.codes import format_recovery_code
from twostep.errors import NotBoxTicked, TwoStepError
from views import messages
from views.auth import start_signed_in_session
from views.forms import KeptForm, PasscodeForm, RecoveryCodeForm, first_error
from views.htmx import go_full, page, whole_page
from views.i18n import error_text, locale, text
from views.limiter import limit_posts
from views.passcode_screen import passcode_screen
from views.passcode_screen import resend as resend_code
from views.web import client_ip, policy, refused, sender, who

bp = Blueprint("second_step", __name__, url_prefix="/signin")


def _pending():
    return signin_rules.pending(policy(), session.get("signin"))


def _expired():
    if current_user.is_authenticated:
        # Back to the passcode screen after signing in (the back button): nothing to do here any more.
        return go_full(url_for("main.dashboard"))
    session.pop("signin", None)
    flash(text(messages.SIGNIN_EXPIRED), "error")
    return go_full(url_for("auth.signin"))


_passcode_context = passcode_screen


def _complete(challenge):
    """Inside the transaction that used the code: sign in, renewing the session."""
    user = User.get_by_id(challenge.user_id)
    start_signed_in_session(user)
    events.record(user.id, "signin", **who())


@bp.route("/passcode", methods=["GET", "POST"])
@limit_posts
def passcode():
    """Enter the 6-digit passcode sent by SMS, and Continue."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    form = PasscodeForm()
    if form.validate_on_submit():
        try:
            signin_rules.complete_with_passcode(policy(), challenge, form.code.data, lambda: _complete(challenge),
                                                **who())
        except TwoStepError as error:
            return refused("signin/passcode.html", error, **_passcode_context(challenge, form))
        return go_full(url_for("main.dashboard"))
    error = first_error(form) if form.is_submitted() else None
    return page("signin/passcode.html", status=422 if error else 200, error=error,
                **_passcode_context(challenge, form))


@bp.post("/resend")
@limit_posts
def resend():
    """Resend: a new passcode replaces the old one (30-second cooldown)."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    return resend_code(
        "signin/passcode.html", lambda: _passcode_context(challenge),
        lambda: signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("second_step.passcode"))


@bp.get("/another-method")
def another_method():
    """Try another method: Recovery code, or back to the SMS passcode."""
    if _pending() is None:
        return _expired()
    return page("signin/another_method.html")


@bp.route("/recovery", methods=["GET", "POST"])
@limit_posts
def recovery():
    """Sign in with the recovery code; a new one is shown at once in its place."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            _, new_code = signin_rules.complete_with_recovery_code(
                policy(), challenge, form.code.data, lambda: start_signed_in_session(User.get_by_id(challenge.user_id)),
                **who())
        except TwoStepError as error:
            return refused("signin/recovery.html", error, form=form)
        # Shown in this answer only: it is never stored in clear, so it cannot be shown again.
        # The whole page: signing in changes the header's links too.
        return whole_page("signin/new_recovery_code.html", recovery_code=format_recovery_code(new_code),
                    site_name=policy().site_name)
    error = first_error(form) if form.is_submitted() else None
    return page("signin/recovery.html", status=422 if error else 200, form=form, error=error)


@bp.route("/recovery/kept", methods=["GET", "POST"])
@login_required
def recovery_kept():
    """Tick "I kept this number in a safe place" after a new recovery code, then the Dashboard."""
    form = KeptForm()
    if form.validate_on_submit():
        if form.kept.data:
            return go_full(url_for("main.dashboard"))
        error = error_text(NotBoxTicked())
    else:
        error = first_error(form) if form.is_submitted() else None
    return page("signin/recovery_kept.html", status=422 if error else 200, form=form, error=error,
                user=current_user)
