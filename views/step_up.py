"""Step-up before a sensitive change: the password again, then a passcode or the recovery code.

Off, Unsubscribe, a new number and a new recovery code are `@step_up_required`
(rules: twostep/stepup.py). It sends the browser to /reauth for the password,
then here: "Send passcode" texts the current number; "Use your authenticator
app instead" takes the app's code (accounts that have one,
twostep/authenticator.py); "Use a passkey instead" asks the browser for one
(accounts that have one, browsers with WebAuthn: twostep/passkeys.py,
static/js/passkeys.js); "Try another method" takes the recovery code
instead (used up and replaced by a new one, shown once). Then back to the
change, whose rule uses the step-up up.

These pages need the fresh password themselves, so a copied cookie alone
cannot make them send SMS or try recovery codes.
"""
import functools

from flask import Blueprint, flash, request, session, url_for
from flask_login import current_user, login_required

import accounts
from core.refusals import Refused
from twostep import authenticator, challenges, stepup
from twostep import passkeys as passkey_rules
from views import messages
from views.forms import AppCodeForm, ButtonForm, PasskeyForm, RecoveryCodeForm
from views.htmx import form_page, go, json_answer, json_refused, page, refused
from views.i18n import locale, show_phone, text
from views.limiter import limit_posts
from views.passcode_screen import check_passcode, passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import fresh_password_required, keep_session, this_browser
from views.signin import new_recovery_code_context
from views.web import auth_session, client_ip, passkey_origins, policy, safe_next, sender

# A child of the /two-step blueprint (views/__init__.py): endpoints two_step.step_up.*.
bp = Blueprint("step_up", __name__, url_prefix="/verify")

NEXT = "stepup_next"
START = "two_step.step_up.start"


def step_up_required(view):
    """A sensitive change opens only with the password typed again and, for an account with a number,
    a passcode or the recovery code confirmed in this session within REAUTH_MINUTES; else the missing step
    first, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        minutes = policy().reauth_minutes
        if not accounts.recently_authenticated(auth_session(), minutes):
            return go(url_for("account.reauth", next=request.path))
        if current_user.phone and not accounts.second_factor_recent(auth_session(), minutes):
            session[NEXT] = request.path
            return go(url_for(START))
        return view(*args, **kwargs)

    return wrapped


def _next():
    return safe_next(session.get(NEXT), url_for("account.personal"))


def _pending():
    return stepup.pending(policy(), session.get(stepup.PURPOSE), current_user.id)


def verify_context(user):
    """settings/verify.html's variables, but its form: the current number, masked, and whether the
    account has an authenticator app or a passkey to use instead."""
    return {"masked_phone": show_phone(user.phone, masked=True), "has_app": authenticator.has_app(user),
            "has_passkey": passkey_rules.has_passkey(user)}


@bp.route("", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def start():
    """Confirm it is you: send a passcode to the current number (or "Try another method")."""
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            challenge, session[stepup.PURPOSE] = stepup.begin(current_user)
            stepup.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("settings/verify.html", error, form=form, **verify_context(current_user))
        return go(url_for("two_step.step_up.passcode"))
    return form_page("settings/verify.html", form, **verify_context(current_user))


@bp.route("/authenticator", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def authenticator_code():
    """Confirm with the authenticator app's code instead (accounts that have one); a code works once."""
    if not authenticator.has_app(current_user):
        return go(url_for(START))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            authenticator.confirm_step_up(policy(), current_user, form.code.data, this_browser())
        except Refused as error:
            return refused("settings/verify_authenticator.html", error, form=form)
        return go(_next())
    return form_page("settings/verify_authenticator.html", form)


def _passkey_step_up(open_new=False):
    """The passkey step-up this browser holds (a new one with `open_new`), or None."""
    challenge = challenges.find_challenge(session.get(passkey_rules.STEP_UP), passkey_rules.STEP_UP,
                                          user_id=current_user.id, max_age_minutes=policy().reauth_minutes)
    if challenge is None and open_new:
        challenge, session[passkey_rules.STEP_UP] = passkey_rules.begin_step_up(current_user)
    return challenge


@bp.post("/passkey/options")
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def passkey_options():
    """The options for navigator.credentials.get() for this step-up, as JSON (static/js/passkeys.js)."""
    try:
        return json_answer(passkey_rules.signin_options(policy(), _passkey_step_up(open_new=True)))
    except Refused as error:
        return json_refused(error)


@bp.route("/passkey", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def passkey():
    """Confirm with a passkey instead (accounts that have one; the button shows where the browser has WebAuthn)."""
    if not passkey_rules.has_passkey(current_user):
        return go(url_for(START))
    form = PasskeyForm()
    if form.validate_on_submit():
        try:
            passkey_rules.confirm_step_up(policy(), _passkey_step_up(), form.credential.data, passkey_origins(),
                                          this_browser())
        except Refused as error:
            return refused("settings/verify_passkey.html", error, form=form)
        session.pop(passkey_rules.STEP_UP, None)
        return go(_next())
    return form_page("settings/verify_passkey.html", form)


def passcode_context(challenge, now=None):
    """settings/verify_passcode.html's variables, but its form."""
    return passcode_screen(challenge, now)


@bp.route("/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def passcode():
    """Enter the passcode sent to the current number, and Continue to the change."""
    challenge = _pending()
    if challenge is None:
        flash(text(messages.STEP_EXPIRED), "error")
        return go(url_for(START))

    def confirmed():
        session.pop(stepup.PURPOSE, None)
        return go(_next())

    return check_passcode("settings/verify_passcode.html", lambda: passcode_context(challenge),
                          lambda code: stepup.confirm_with_passcode(policy(), challenge, code, this_browser()),
                          confirmed)


@bp.post("/resend")
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def resend():
    """Resend the step-up passcode (30-second cooldown)."""
    challenge = _pending()
    if challenge is None:
        return go(url_for(START))
    return resend_code(
        "settings/verify_passcode.html", lambda: passcode_context(challenge),
        lambda: stepup.send_code(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("two_step.step_up.passcode"))


def new_code_context(code, next_url):
    """settings/verify_new_code.html's variables: the new recovery code, and the change to go on to."""
    return {**new_recovery_code_context(code), "next_url": next_url}


@bp.route("/recovery", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required(back_to=START)
def recovery():
    """Confirm with the recovery code instead; a new one replaces it and is shown once."""
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        target = _next()
        # The new recovery code may be what the user came for: then that change is done here.
        is_the_change = target == url_for("two_step.settings.new_recovery_code")
        browser = this_browser()
        try:
            new_code = stepup.confirm_with_recovery_code(policy(), current_user, form.code.data, browser,
                                                         is_the_change=is_the_change)
        except Refused as error:
            return refused("settings/verify_recovery.html", error, form=form)
        if is_the_change:
            keep_session(browser)
            target = url_for("account.personal")
        return page("settings/verify_new_code.html", **new_code_context(new_code, target))
    return form_page("settings/verify_recovery.html", form)
