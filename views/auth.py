"""Sign up, sign in (the password step), sign out, and re-authentication.

After a correct password, an account with two-step verification on gets a
pending sign-in and is sent to the passcode screen (views/second_step.py);
nothing is signed in until that step succeeds.
"""
import logging

from flask import Blueprint, abort, current_app, flash, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

import accounts
from twostep import events
from twostep import signin as signin_rules
from twostep.errors import TwoStepError
from views import messages
from views.forms import PasswordForm, SignInForm, SignUpForm, first_error
from views.htmx import go, go_full, page
from views.i18n import chosen_locale, error_text, locale, text
from views.email import send_confirmation, send_welcome
from views.limiter import limit_posts
from views.web import auth_session, client_ip, policy, safe_next, sender, user_agent, who

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def start_signed_in_session(user):
    """Renew the session and sign `user` in (checklist item 24). Returns nothing the caller needs."""
    accounts.end_session(session.get("sid"))  # a browser signed in as someone else: that session ends here
    session.clear()  # drops any pre-sign-in state and the old CSRF token
    session["sid"] = accounts.start_session(user.id, ip=client_ip(), user_agent=user_agent())
    login_user(user)


def renew_session_token():
    """After a change to two-step settings: this browser keeps going, old copies of its cookie stop."""
    fresh = accounts.rotate_session(session.get("sid"))
    if fresh:
        session["sid"] = fresh


@bp.route("/signup", methods=["GET", "POST"])
@limit_posts
def signup():
    """Create an account (switched off with ALLOW_SIGNUP=0).

    New and already registered addresses get the same answer, the "check your
    e-mail" page; what happened is said by e-mail to the address's owner
    (a confirmation link, or a notice that someone tried to sign up).
    """
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    form = SignUpForm()
    error = None
    if form.validate_on_submit():
        verification = current_app.config["EMAIL_VERIFICATION"]
        try:
            outcome = accounts.sign_up(current_app.extensions["password_hasher"], form.email.data,
                                       form.password.data, form.name.data, locale=chosen_locale(),
                                       verification=verification, **who())
        except accounts.AccountError as refused:
            error = error_text(refused)
        else:
            if outcome.token:
                send_confirmation(outcome.user, outcome.token)
            elif outcome.created:
                send_welcome(outcome.user)
            # (an existing account's owner is mailed by the "signup_attempt" security notice)
            return go(url_for("email.signup_sent"))
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
        user = current_app.extensions["authenticator"].authenticate(form.email.data, form.password.data)
        if user is None:
            # For the operator, never the email typed (it may be a password typed in the wrong box).
            log.info("sign-in refused: wrong email or password ip=%s", client_ip())
            error = text(messages.SIGNIN_WRONG)
        elif user.must_set_password:
            # The password was right, but an administrator reset made it stop working.
            log.info("sign-in refused: new password needed user=%s ip=%s", user.id, client_ip())
            error = text(messages.NEW_PASSWORD_NEEDED)
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
        if current_app.extensions["authenticator"].check_password(current_user, form.password.data):
            accounts.password_confirmed(session.get("sid"))
            return go(target)
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
