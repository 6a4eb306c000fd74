"""Signing in: the password step, then the second step (passcode, Resend, "Try another method", the
authenticator app, recovery code); signing out.

After a correct password, an account with two-step verification on gets a
pending sign-in (a token in the browser's session) and is sent to the
passcode screen; nothing is signed in until that step succeeds. The pending
sign-in expires after PENDING_SIGNIN_MINUTES. The rules are in twostep/signin.py.
"""
import logging

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_login import current_user, login_required, logout_user

import accounts
from core import metrics
from accounts import events
from twostep import authenticator
from core.refusals import Refused
from twostep import signin as signin_rules
from twostep.codes import format_recovery_code
from twostep.refusals import NotBoxTicked
from views import messages
from views.forms import AppCodeForm, ButtonForm, KeptForm, PasscodeForm, RecoveryCodeForm, SignInForm, first_error
from views.htmx import go, go_full, page, refused, whole_page
from views.i18n import error_text, locale, show_phone, text
from views.limiter import limit_posts
from views.passcode_screen import passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import known_device_user, start_signed_in_session
from views.web import client_ip, policy, safe_next, sender, who

bp = Blueprint("signin", __name__)
log = logging.getLogger(__name__)


@bp.route("/signin", methods=["GET", "POST"])
@limit_posts
def password():
    """The password step. Unknown email and wrong password get the same answer."""
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = current_app.extensions["authenticator"].authenticate(
                form.email.data, form.password.data, policy=policy(), known_device_user=known_device_user())
        except accounts.PasswordThrottled as throttled:
            log.info("sign-in refused: password tries for this address must wait ip=%s", client_ip())
            return refused("signin/password.html", throttled, form=form)
        if user is None:
            # For the operator, never the email typed (it may be a password typed in the wrong box).
            log.info("sign-in refused: wrong email or password ip=%s", client_ip())
            metrics.signin(metrics.WRONG_PASSWORD)
            error = text(messages.SIGNIN_WRONG)
        elif user.must_set_password:
            # The password was right, but an administrator reset made it stop working (docs/accounts.md).
            log.info("sign-in refused: new password needed user=%s ip=%s", user.id, client_ip())
            metrics.signin(metrics.NEW_PASSWORD_NEEDED)
            error = text(messages.NEW_PASSWORD_NEEDED)
        elif signin_rules.needs_second_step(user):
            metrics.signin(metrics.SECOND_STEP_ASKED)
            return _begin_second_step(user)
        else:
            start_signed_in_session(user)
            events.record(user.id, "signin", **who())
            metrics.signin(metrics.SIGNED_IN_PASSWORD)
            return go_full(safe_next(request.args.get("next"), url_for("account.dashboard")))
    elif form.is_submitted():
        error = first_error(form)
    return page("signin/password.html", status=422 if error else 200, form=form, error=error)


def _begin_second_step(user):
    """Open the pending sign-in and show the method used last: the authenticator app, or an SMS passcode."""
    challenge, token = signin_rules.begin(user)
    # Whoever this browser was signed in as, that server-side session ends here,
    # as it does on the path without two-step verification.
    accounts.end_session(session.get("sid"))
    session.clear()
    session["signin"] = token
    if authenticator.first_method(user) == authenticator.TOTP:
        # The authenticator app was used last: ask for its code, and send no SMS.
        return go(url_for("signin.authenticator_code"))
    try:
        signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale(), user=user)
    except Refused as refused:
        # The screen still opens: it shows why, and Resend or Try another method.
        flash(error_text(refused), "error")
    return go(url_for("signin.passcode"))


@bp.post("/signout")
def signout():
    """End this session on the server too: a replayed old cookie is anonymous."""
    accounts.sign_out(session.get("sid"), current_user.id if current_user.is_authenticated else None, **who())
    logout_user()
    session.clear()
    flash(text(messages.SIGNED_OUT), "info")
    return go_full(url_for("signin.password"))


def _pending():
    return signin_rules.pending(policy(), session.get("signin"))


def _expired():
    if current_user.is_authenticated:
        # Back to the passcode screen after signing in (the back button): nothing to do here any more.
        return go_full(url_for("account.dashboard"))
    session.pop("signin", None)
    flash(text(messages.SIGNIN_EXPIRED), "error")
    return go_full(url_for("signin.password"))


_passcode_context = passcode_screen


def _complete(challenge):
    """Inside the transaction that used the code: sign in, renewing the session."""
    user = challenge.user  # read with the challenge (twostep/challenges.find_challenge)
    start_signed_in_session(user)
    events.record(user.id, "signin", **who())


@bp.route("/signin/passcode", methods=["GET", "POST"])
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
        except Refused as error:
            return refused("signin/passcode.html", error, **_passcode_context(challenge, form))
        metrics.signin(metrics.SIGNED_IN_PASSCODE)
        return go_full(url_for("account.dashboard"))
    error = first_error(form) if form.is_submitted() else None
    return page("signin/passcode.html", status=422 if error else 200, error=error,
                **_passcode_context(challenge, form))


@bp.post("/signin/resend")
@limit_posts
def resend():
    """Resend: a new passcode replaces the old one (30-second cooldown)."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    return resend_code(
        "signin/passcode.html", lambda: _passcode_context(challenge),
        lambda: signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("signin.passcode"))


def _methods_context(challenge, **context):
    """What "Try another method" offers: exactly the methods the account has."""
    user = accounts.user_by_id(challenge.user_id)
    return {"methods": authenticator.methods(user), "sms_sent": challenge.code_sent_at is not None,
            "masked_phone": show_phone(user.phone, masked=True) if user.phone else "",
            "form": ButtonForm(prefix="sms"), **context}


@bp.get("/signin/another-method")
def another_method():
    """Try another method: Recovery code, the SMS passcode, or the authenticator app (when the account has one)."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    return page("signin/another_method.html", error=None, **_methods_context(challenge))


@bp.post("/signin/text-message")
@limit_posts
def text_message():
    """The SMS passcode, from "Try another method" when none was sent yet: send one, then the passcode screen."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    if not ButtonForm(prefix="sms").validate_on_submit():
        return page("signin/another_method.html", status=400,
                    **_methods_context(challenge, error=text(messages.RELOAD)))
    if authenticator.SMS not in authenticator.methods(accounts.user_by_id(challenge.user_id)):
        return page("signin/another_method.html", status=409, error=None, **_methods_context(challenge))
    try:
        signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale())
    except Refused as error:
        return refused("signin/another_method.html", error, **_methods_context(challenge))
    return go(url_for("signin.passcode"))


@bp.route("/signin/authenticator", methods=["GET", "POST"])
@limit_posts
def authenticator_code():
    """Enter the 6-digit code from the authenticator app, and Continue."""
    challenge = _pending()
    if challenge is None:
        return _expired()
    if not authenticator.has_app(accounts.user_by_id(challenge.user_id)):
        return go(url_for("signin.another_method"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            authenticator.complete_signin(policy(), challenge, form.code.data, lambda: _complete(challenge))
        except Refused as error:
            return refused("signin/authenticator.html", error, form=form)
        metrics.signin(metrics.SIGNED_IN_AUTHENTICATOR)
        return go_full(url_for("account.dashboard"))
    error = first_error(form) if form.is_submitted() else None
    return page("signin/authenticator.html", status=422 if error else 200, form=form, error=error)


@bp.route("/signin/recovery", methods=["GET", "POST"])
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
                policy(), challenge, form.code.data, lambda: start_signed_in_session(challenge.user),
                **who())
        except Refused as error:
            return refused("signin/recovery.html", error, form=form)
        metrics.signin(metrics.SIGNED_IN_RECOVERY)
        # Shown in this answer only: it is never stored in clear, so it cannot be shown again.
        # The whole page: signing in changes the header's links too.
        return whole_page("signin/new_recovery_code.html", recovery_code=format_recovery_code(new_code),
                    site_name=policy().site_name)
    error = first_error(form) if form.is_submitted() else None
    return page("signin/recovery.html", status=422 if error else 200, form=form, error=error)


@bp.route("/signin/recovery/kept", methods=["GET", "POST"])
@login_required
def recovery_kept():
    """Tick "I kept this number in a safe place" after a new recovery code, then the Dashboard."""
    form = KeptForm()
    if form.validate_on_submit():
        if form.kept.data:
            return go_full(url_for("account.dashboard"))
        error = error_text(NotBoxTicked())
    else:
        error = first_error(form) if form.is_submitted() else None
    return page("signin/recovery_kept.html", status=422 if error else 200, form=form, error=error,
                user=current_user)
