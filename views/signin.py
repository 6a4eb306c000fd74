"""Signing in: the password step, then the second step (passcode, Resend, "Try another method", the
authenticator app, a passkey, recovery code); signing out.

After a correct password, an account with two-step verification on gets a
pending sign-in (a token in the browser's session) and is sent to the
passcode screen; nothing is signed in until that step succeeds. The pending
sign-in expires after PENDING_SIGNIN_MINUTES. The rules are in twostep/signin.py.
"""
import functools
import logging

from flask import Blueprint, current_app, flash, request, session, url_for
from flask_login import current_user, login_required, logout_user

import accounts
from core import metrics
from core.refusals import Refused
from twostep import authenticator
from twostep import passkeys as passkey_rules
from twostep import signin as signin_rules
from twostep.codes import format_recovery_code
from twostep.refusals import NotBoxTicked
from views import messages
from views.forms import AppCodeForm, ButtonForm, KeptForm, PasskeyForm, RecoveryCodeForm, SignInForm
from views.htmx import form_page, go, go_full, json_answer, json_refused, page, refused, whole_page
from views.i18n import error_text, locale, show_phone, text
from views.limiter import limit_posts
from views.passcode_screen import check_passcode, passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import known_device_user, signed_in, this_browser
from views.web import client_ip, passkey_origins, policy, safe_next, sender, who

bp = Blueprint("signin", __name__)
log = logging.getLogger(__name__)


@bp.route("/signin", methods=["GET", "POST"])
@limit_posts
def password():
    """The password step. Unknown email and wrong password get the same answer."""
    form = SignInForm()
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
            return page("signin/password.html", status=422, form=form, error=text(messages.SIGNIN_WRONG))
        if user.must_set_password:
            # The password was right, but an administrator reset made it stop working (docs/accounts.md).
            log.info("sign-in refused: new password needed user=%s ip=%s", user.id, client_ip())
            metrics.signin(metrics.NEW_PASSWORD_NEEDED)
            return page("signin/password.html", status=422, form=form, error=text(messages.NEW_PASSWORD_NEEDED))
        if signin_rules.needs_second_step(user):
            metrics.signin(metrics.SECOND_STEP_ASKED)
            return _begin_second_step(user)
        browser = this_browser()
        signed_in(accounts.sign_in(user, browser), browser)
        metrics.signin(metrics.SIGNED_IN_PASSWORD)
        return go_full(safe_next(request.args.get("next"), url_for("account.dashboard")))
    return form_page("signin/password.html", form)


def _begin_second_step(user):
    """Open the pending sign-in and show the method used last: the authenticator app, a passkey, or an SMS
    passcode."""
    challenge, token = signin_rules.begin(user)
    # Whoever this browser was signed in as, that server-side session ends here,
    # as it does on the path without two-step verification.
    accounts.end_session(session.get("sid"))
    session.clear()
    session["signin"] = token
    first = authenticator.first_method(user)
    if first == authenticator.TOTP:
        # The authenticator app was used last: ask for its code, and send no SMS.
        return go(url_for("signin.authenticator_code"))
    if first == authenticator.PASSKEY:
        # A passkey was used last (or just added): offer it, and send no SMS. A browser without
        # WebAuthn is told so there, with "Try another method".
        return go(url_for("signin.passkey"))
    try:
        signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale(), user=user)
    except Refused as error:
        # The screen still opens: it shows why, and Resend or Try another method.
        flash(error_text(error), "error")
    return go(url_for("signin.passcode"))


@bp.post("/signout")
def signout():
    """End this session on the server too: a replayed old cookie is anonymous."""
    accounts.sign_out(session.get("sid"), current_user.id if current_user.is_authenticated else None, **who())
    logout_user()
    session.clear()
    flash(text(messages.SIGNED_OUT), "info")
    return go_full(url_for("signin.password"))


def pending_signin(view):
    """The second step's views need the browser's pending sign-in; they get it as `challenge`.

    Without one (never started, or older than PENDING_SIGNIN_MINUTES), back to
    the password step with a message; already signed in (the back button
    after signing in), on to the Dashboard.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        challenge = signin_rules.pending(policy(), session.get("signin"))
        if challenge is not None:
            return view(challenge, *args, **kwargs)
        if current_user.is_authenticated:
            return go_full(url_for("account.dashboard"))
        session.pop("signin", None)
        flash(text(messages.SIGNIN_EXPIRED), "error")
        return go_full(url_for("signin.password"))

    return wrapped


def passcode_context(challenge, now=None):
    """signin/passcode.html's variables, but its form."""
    return passcode_screen(challenge, now)


@bp.route("/signin/passcode", methods=["GET", "POST"])
@limit_posts
@pending_signin
def passcode(challenge):
    """Enter the 6-digit passcode sent by SMS, and Continue."""
    browser = this_browser()

    def verify(code):
        signed_in(signin_rules.complete_with_passcode(policy(), challenge, code, browser), browser)
        metrics.signin(metrics.SIGNED_IN_PASSCODE)

    return check_passcode("signin/passcode.html", lambda: passcode_context(challenge), verify,
                          lambda: go_full(url_for("account.dashboard")))


@bp.post("/signin/resend")
@limit_posts
@pending_signin
def resend(challenge):
    """Resend: a new passcode replaces the old one (30-second cooldown)."""
    return resend_code(
        "signin/passcode.html", lambda: passcode_context(challenge),
        lambda: signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("signin.passcode"))


def methods_context(user, sms_sent):
    """signin/another_method.html's variables, but its error: exactly the methods the account has."""
    return {"methods": authenticator.methods(user), "sms_sent": sms_sent,
            "masked_phone": show_phone(user.phone, masked=True) if user.phone else "",
            "form": ButtonForm(prefix="sms")}


@bp.get("/signin/another-method")
@pending_signin
def another_method(challenge):
    """Try another method: Recovery code, the SMS passcode, the authenticator app or a passkey (each only when
    the account has it)."""
    return page("signin/another_method.html", error=None,
                **methods_context(challenge.user, challenge.code_sent_at is not None))


@bp.post("/signin/text-message")
@limit_posts
@pending_signin
def text_message(challenge):
    """The SMS passcode, from "Try another method" when none was sent yet: send one, then the passcode screen."""
    context = methods_context(challenge.user, challenge.code_sent_at is not None)
    if not ButtonForm(prefix="sms").validate_on_submit():
        return page("signin/another_method.html", status=400, error=text(messages.RELOAD), **context)
    if authenticator.SMS not in context["methods"]:
        return page("signin/another_method.html", status=409, error=None, **context)
    try:
        signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale())
    except Refused as error:
        return refused("signin/another_method.html", error, **context)
    return go(url_for("signin.passcode"))


@bp.route("/signin/authenticator", methods=["GET", "POST"])
@limit_posts
@pending_signin
def authenticator_code(challenge):
    """Enter the 6-digit code from the authenticator app, and Continue."""
    if not authenticator.has_app(challenge.user):
        return go(url_for("signin.another_method"))
    form = AppCodeForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            signed_in(authenticator.complete_signin(policy(), challenge, form.code.data, browser), browser)
        except Refused as error:
            return refused("signin/authenticator.html", error, form=form)
        metrics.signin(metrics.SIGNED_IN_AUTHENTICATOR)
        return go_full(url_for("account.dashboard"))
    return form_page("signin/authenticator.html", form)


@bp.route("/signin/passkey", methods=["GET", "POST"])
@limit_posts
@pending_signin
def passkey(challenge):
    """Use a passkey: static/js/passkeys.js asks the browser for one and posts its answer here."""
    if not passkey_rules.has_passkey(challenge.user):
        return go(url_for("signin.another_method"))
    form = PasskeyForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            signed_in(passkey_rules.complete_signin(policy(), challenge, form.credential.data, passkey_origins(),
                                                    browser), browser)
        except Refused as error:
            return refused("signin/passkey.html", error, form=form)
        metrics.signin(metrics.SIGNED_IN_PASSKEY)
        return go_full(url_for("account.dashboard"))
    return form_page("signin/passkey.html", form)


@bp.post("/signin/passkey/options")
@limit_posts
@pending_signin
def passkey_options(challenge):
    """The options for navigator.credentials.get() for this pending sign-in, as JSON (static/js/passkeys.js)."""
    try:
        return json_answer(passkey_rules.signin_options(policy(), challenge))
    except Refused as error:
        return json_refused(error)


def new_recovery_code_context(code):
    """The variables of a page that shows a new recovery code once (and of _recovery_code.html)."""
    return {"recovery_code": format_recovery_code(code), "site_name": policy().site_name}


@bp.route("/signin/recovery", methods=["GET", "POST"])
@limit_posts
@pending_signin
def recovery(challenge):
    """Sign in with the recovery code; a new one is shown at once in its place."""
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            user, new_code = signin_rules.complete_with_recovery_code(policy(), challenge, form.code.data, browser)
        except Refused as error:
            return refused("signin/recovery.html", error, form=form)
        signed_in(user, browser)
        metrics.signin(metrics.SIGNED_IN_RECOVERY)
        # Shown in this answer only: it is never stored in clear, so it cannot be shown again.
        # The whole page: signing in changes the header's links too.
        return whole_page("signin/new_recovery_code.html", **new_recovery_code_context(new_code))
    return form_page("signin/recovery.html", form)


@bp.route("/signin/recovery/kept", methods=["GET", "POST"])
@login_required
def recovery_kept():
    """Tick "I kept this number in a safe place" after a new recovery code, then the Dashboard."""
    form = KeptForm()
    if form.validate_on_submit():
        if form.kept.data:
            return go_full(url_for("account.dashboard"))
        return refused("signin/recovery_kept.html", NotBoxTicked(), form=form)
    return form_page("signin/recovery_kept.html", form)
