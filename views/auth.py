"""Sign up, sign in (the password step), sign out, and re-authentication.

After a correct password, an account with two-step verification on gets a
pending sign-in and is sent to the passcode screen (views/second_step.py);
nothing is signed in until that step succeeds.
"""
import logging

from flask import Blueprint, abort, after_this_request, current_app, flash, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

import accounts
from models import db
from twostep import events
from twostep import signin as signin_rules
from twostep.errors import TwoStepError
from views import messages
from views.forms import PasswordForm, SignInForm, SignUpForm, first_error
from views.htmx import go, go_full, page
from views.i18n import chosen_locale, error_text, locale, text
from views.limiter import limit_posts, limit_signups
from views.web import auth_session, client_ip, policy, safe_next, sender, user_agent, who

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def start_signed_in_session(user):
    """Renew the session and sign `user` in (checklist item 24). Returns nothing the caller needs."""
    accounts.end_session(session.get("sid"))  # a browser signed in as someone else: that session ends here
    session.clear()  # drops any pre-sign-in state and the old CSRF token
    session["sid"] = accounts.start_session(user.id, ip=client_ip(), user_agent=user_agent())
    login_user(user)
    remember_device(user.id)


def renew_session_token():
    """After a change to two-step settings: this browser keeps going, old copies of its cookie stop."""
    fresh = accounts.rotate_session(session.get("sid"))
    if fresh:
        session["sid"] = fresh


DEVICE_DAYS = 365


def _device_cookie_name():
    return "__Host-device" if current_app.config["SESSION_COOKIE_SECURE"] else "device"


def _device_signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def remember_device(user_id):
    """Mark this browser as one `user_id` has signed in from (a signed cookie, no secret in it).

    Wrong passwords typed by others slow down sign-in for the account's
    address; a browser the owner has signed in from before is exempt, so
    nobody can lock the owner out just by knowing their e-mail address
    (OWASP's "device cookie" defence).
    """
    value = _device_signer().dumps(int(user_id))

    @after_this_request
    def _set(response):
        response.set_cookie(_device_cookie_name(), value, max_age=DEVICE_DAYS * 24 * 3600, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"], path="/")
        return response


def known_device_user():
    """The account id this browser has signed in to before, or None."""
    value = request.cookies.get(_device_cookie_name())
    if not value:
        return None
    try:
        return int(_device_signer().loads(value, max_age=DEVICE_DAYS * 24 * 3600))
    except (BadSignature, ValueError, TypeError):
        return None


def _throttled(template, refusal, **context):
    response = page(template, status=429, error=error_text(refusal), **context)
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


@bp.route("/signup", methods=["GET", "POST"])
@limit_posts
@limit_signups
def signup():
    """Create an account (switched off with ALLOW_SIGNUP=0)."""
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    form = SignUpForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.create_user(current_app.extensions["password_hasher"], form.email.data,
                                        form.password.data, form.name.data, locale=chosen_locale(), **who())
        except accounts.AccountError as refused:
            error = error_text(refused)
        else:
            start_signed_in_session(user)
            return go_full(url_for("main.dashboard"))
    elif form.is_submitted():
        error = first_error(form)
    return page("auth/signup.html", status=422 if error else 200, form=form, error=error)


@bp.route("/signin", methods=["GET", "POST"])
@limit_posts
def signin():
    """The password step. Unknown email and wrong password get the same answer."""
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = current_app.extensions["authenticator"].authenticate(
                form.email.data, form.password.data, policy=policy(), known_device_user=known_device_user())
        except accounts.PasswordThrottled as refusal:
            log.info("sign-in refused: password tries for this address must wait ip=%s", client_ip())
            return _throttled("auth/signin.html", refusal, form=form)
        if user is None:
            # For the operator, never the email typed (it may be a password typed in the wrong box).
            log.info("sign-in refused: wrong email or password ip=%s", client_ip())
            error = text(messages.SIGNIN_WRONG)
        elif signin_rules.needs_second_step(user):
            return _begin_second_step(user)
        else:
            start_signed_in_session(user)
            events.record(user.id, "signin", **who())
            return go_full(safe_next(request.args.get("next"), url_for("main.dashboard")))
    elif form.is_submitted():
        error = first_error(form)
    return page("auth/signin.html", status=422 if error else 200, form=form, error=error)


def _begin_second_step(user):
    """Open the pending sign-in, send the first passcode, and show the passcode screen."""
    challenge, token = signin_rules.begin(user)
    # Whoever this browser was signed in as, that server-side session ends here,
    # as it does on the path without two-step verification.
    accounts.end_session(session.get("sid"))
    session.clear()
    session["signin"] = token
    try:
        signin_rules.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale())
    except TwoStepError as refused:
        # The screen still opens: it shows why, and Resend or Try another method.
        flash(error_text(refused), "error")
    return go(url_for("second_step.passcode"))


@bp.post("/signout")
def signout():
    """End this session on the server too: a replayed old cookie is anonymous."""
    if current_user.is_authenticated:
        events.record(current_user.id, "signout", **who())
    accounts.end_session(session.get("sid"))
    logout_user()
    session.clear()
    flash(text(messages.SIGNED_OUT), "info")
    return go_full(url_for("auth.signin"))


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limit_posts
def reauth():
    """Ask for the password again before a sensitive change (checklist item 21)."""
    form = PasswordForm()
    error = None
    target = safe_next(request.values.get("next"), url_for("account.personal"))
    if form.validate_on_submit():
        try:
            right = current_app.extensions["authenticator"].check_password(current_user, form.password.data,
                                                                           policy=policy())
        except accounts.PasswordThrottled as refusal:
            return _throttled("auth/reauth.html", refusal, form=form, next=target)
        if right:
            accounts.password_confirmed(session.get("sid"))
            return go(target)
        # A wrong password from a signed-in browser may be a stolen session guessing: on the record.
        with db.atomic():
            events.record(current_user.id, "reauth_failed", **who())
        log.warning("re-authentication failed: user=%s ip=%s", current_user.id, client_ip())
        error = text(messages.REAUTH_WRONG)
    elif form.is_submitted():
        error = first_error(form)
    return page("auth/reauth.html", status=422 if error else 200, form=form, error=error, next=target)


def recent_password_or_prompt():
    """None when the password was entered recently enough; else the redirect to /reauth."""
    if accounts.recently_authenticated(auth_session(), policy().reauth_minutes):
        return None
    # Back to this page's GET form afterwards: the user confirms the change there.
    return go(url_for("auth.reauth", next=request.path))
