"""Off, Enable, Unsubscribe, a new number, a new recovery code (help article, last notes), and adding or
removing an authenticator app or a passkey beside SMS.

Off, Unsubscribe, a new number, a new recovery code, the authenticator app and passkeys are `@step_up_required`
(views/step_up.py: the password typed again, then a passcode to the current
number or the recovery code); Enable is `@fresh_password_required` (the
password typed again). The rules make each change in one transaction that
records it, e-mails the owner, uses the step-up up and ends the account's
other sessions; this browser keeps going with a renewed cookie. GET shows
what will happen; POST does it.
"""
from flask import Blueprint, abort, flash, session, url_for
from flask_login import current_user, login_required

from core.refusals import N_, Refused
from twostep import authenticator as authenticator_rules
from twostep import passkeys as passkey_rules
from twostep import challenges, totp
from twostep.sealed import SealError
from twostep import settings as settings_rules
from views import messages
from views.forms import AppCodeForm, ButtonForm, NewPasskeyForm, PhoneForm
from views.htmx import form_page, go, json_answer, json_refused, refused
from views.i18n import error_text, locale, show_phone, text, when
from views.limiter import limit_posts
from views.passcode_screen import check_passcode, passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import fresh_password_required, keep_session, this_browser
from views.signin import new_recovery_code_context
from views.step_up import step_up_required
from views.web import client_ip, passkey_origins, policy, sender

bp = Blueprint("settings", __name__)

# purpose -> the title of the shared passcode page.
PASSCODE_PURPOSES = {
    "enable": N_("Enable two-step verification"),
    "change": N_("Confirm your new phone number"),
}
FINISH = {"enable": settings_rules.finish_enable, "change": settings_rules.finish_number_change}
DONE_MESSAGES = {"enable": messages.TWO_STEP_ON_AGAIN, "change": messages.NUMBER_CHANGED}


def _done(browser, message):
    """After a change: the cookie carries the renewed session token, then the Account page with `message`."""
    keep_session(browser)
    flash(message, "info")
    return go(url_for("account.personal"))


def off_context():
    """settings/off.html's variables, but its form: for how many days Off lasts (0: until Enable)."""
    return {"off_days": policy().off_max_days}


@bp.route("/off", methods=["GET", "POST"])
@login_required
@step_up_required
def off():
    """Off: stop asking for a passcode for a while, keeping the number and recovery code."""
    form = ButtonForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            until = settings_rules.turn_off(policy(), current_user, browser)
        except Refused as error:
            return refused("settings/off.html", error, form=form, **off_context())
        if until:
            return _done(browser, text(messages.TWO_STEP_OFF_UNTIL, when=when(until)))
        return _done(browser, text(messages.TWO_STEP_OFF))
    return form_page("settings/off.html", form, **off_context())


@bp.route("/unsubscribe", methods=["GET", "POST"])
@login_required
@step_up_required
def unsubscribe():
    """Unsubscribe: remove two-step verification, its number and its recovery code."""
    form = ButtonForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            settings_rules.unsubscribe(current_user, browser)
        except Refused as error:
            return refused("settings/unsubscribe.html", error, form=form)
        session.pop("enable", None)
        session.pop("change", None)
        return _done(browser, text(messages.TWO_STEP_REMOVED))
    return form_page("settings/unsubscribe.html", form)


def new_recovery_code_page_context(code=None):
    """settings/new_recovery_code.html's variables, but its form: the new code once made, else none."""
    return new_recovery_code_context(code) if code else {"recovery_code": None}


@bp.route("/recovery-code", methods=["GET", "POST"])
@login_required
@limit_posts
@step_up_required
def new_recovery_code():
    """A new recovery code replaces the old one, shown once."""
    form = ButtonForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            code = settings_rules.regenerate_recovery_code(current_user, browser)
        except Refused as error:
            return refused("settings/new_recovery_code.html", error, form=form, **new_recovery_code_page_context())
        keep_session(browser)
        return form_page("settings/new_recovery_code.html", form, **new_recovery_code_page_context(code))
    return form_page("settings/new_recovery_code.html", form, **new_recovery_code_page_context())


def enable_context(user):
    """settings/enable.html's variables, but its form: the kept number, masked."""
    return {"masked_phone": show_phone(user.phone, masked=True)}


@bp.route("/enable", methods=["GET", "POST"])
@login_required
@limit_posts
@fresh_password_required
def enable():
    """Enable: send a passcode to the kept number; entering it turns two-step verification on."""
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            _, session["enable"] = settings_rules.begin_enable(policy(), sender(), current_user, ip=client_ip(),
                                                               locale=locale())
        except Refused as error:
            return refused("settings/enable.html", error, form=form, **enable_context(current_user))
        return go(url_for("two_step.settings.passcode", purpose="enable"))
    return form_page("settings/enable.html", form, **enable_context(current_user))


@bp.route("/number", methods=["GET", "POST"])
@login_required
@limit_posts
@step_up_required
def number():
    """Change the phone number: the new number must confirm a passcode first."""
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            _, session["change"] = settings_rules.begin_number_change(policy(), sender(), current_user,
                                                                      form.phone.data, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("settings/number.html", error, form=form)
        return go(url_for("two_step.settings.passcode", purpose="change"))
    return form_page("settings/number.html", form)


def _pending(purpose):
    if purpose not in PASSCODE_PURPOSES:
        return None
    return challenges.find_challenge(session.get(purpose), purpose, user_id=current_user.id,
                                     max_age_minutes=policy().reauth_minutes)


def passcode_context(purpose, challenge, now=None):
    """settings/passcode.html's variables, but its form."""
    return passcode_screen(challenge, now, purpose=purpose, title=text(PASSCODE_PURPOSES[purpose]))


@bp.route("/<purpose>/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
def passcode(purpose):
    """Enter the passcode that confirms Enable or a new number."""
    challenge = _pending(purpose)
    if challenge is None:
        flash(text(messages.STEP_EXPIRED), "error")
        return go(url_for("account.personal"))
    browser = this_browser()

    def finished():
        session.pop(purpose, None)
        return _done(browser, text(DONE_MESSAGES[purpose]))

    return check_passcode("settings/passcode.html", lambda: passcode_context(purpose, challenge),
                          lambda code: FINISH[purpose](policy(), challenge, code, browser), finished)


@bp.post("/<purpose>/resend")
@login_required
@limit_posts
def resend(purpose):
    """Resend the passcode for Enable or a new number (30-second cooldown)."""
    challenge = _pending(purpose)
    if challenge is None:
        return go(url_for("account.personal"))
    return resend_code(
        "settings/passcode.html", lambda: passcode_context(purpose, challenge),
        lambda: challenges.send_passcode(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("two_step.settings.passcode", purpose=purpose))


# --- The authenticator app (rules: twostep/authenticator.py) ------------------------------------


def _setup():
    """(challenge, secret) of the set-up this browser started, or a new one.

    Reloading the page keeps the same secret: the app may already have scanned it.
    """
    challenge = challenges.find_challenge(session.get("totp"), "totp", user_id=current_user.id,
                                          max_age_minutes=policy().reauth_minutes)
    if challenge is not None:
        try:
            return challenge, authenticator_rules.pending_secret(policy(), challenge)
        except SealError:  # sealed under an earlier SECRET_KEY: start again
            pass
    challenge, session["totp"], secret = authenticator_rules.begin_setup(policy(), current_user)
    return challenge, secret


def authenticator_context(secret, email):
    """settings/authenticator.html's variables, but its form: the QR code and the key to type."""
    site = policy().site_name
    uri = totp.provisioning_uri(secret, email, site)
    return {"grouped_secret": totp.group(secret), "qr_svg": totp.qr_svg(uri, text(messages.QR_TITLE)),
            "site_name": site}


@bp.route("/authenticator", methods=["GET", "POST"])
@login_required
@limit_posts
@step_up_required
def authenticator_setup():
    """Add an authenticator app: scan the QR code (or type the key), then enter its first code."""
    try:
        challenge, secret = _setup()
    except Refused as error:
        flash(error_text(error), "error")
        return go(url_for("account.personal"))
    form = AppCodeForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            authenticator_rules.finish_setup(policy(), challenge, form.code.data, browser)
        except Refused as error:
            if challenges.find_challenge(session.get("totp"), "totp", user_id=current_user.id) is None:
                # Too many wrong codes: this key is void; a new one is shown.
                session.pop("totp", None)
                challenge, secret = _setup()
            return refused("settings/authenticator.html", error, form=form,
                           **authenticator_context(secret, current_user.email))
        session.pop("totp", None)
        return _done(browser, text(messages.TOTP_ADDED))
    return form_page("settings/authenticator.html", form, **authenticator_context(secret, current_user.email))


@bp.route("/authenticator/remove", methods=["GET", "POST"])
@login_required
@step_up_required
def authenticator_remove():
    """Remove the authenticator app (SMS and the recovery code stay)."""
    form = ButtonForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            authenticator_rules.remove(current_user, browser)
        except Refused as error:
            return refused("settings/authenticator_remove.html", error, form=form)
        return _done(browser, text(messages.TOTP_REMOVED))
    return form_page("settings/authenticator_remove.html", form)


# --- Passkeys (rules: twostep/passkeys.py; the ceremony in the browser: static/js/passkeys.js) ---------


def _passkey_challenge(open_new=False):
    """The verification of adding a passkey that this browser holds (a new one with `open_new`), or None."""
    challenge = challenges.find_challenge(session.get("passkey"), passkey_rules.PURPOSE, user_id=current_user.id,
                                          max_age_minutes=policy().reauth_minutes)
    if challenge is None and open_new:
        challenge, session["passkey"] = passkey_rules.begin_adding(current_user)
    return challenge


@bp.post("/passkeys/options")
@login_required
@limit_posts
@step_up_required
def passkey_options():
    """The options for navigator.credentials.create(), as JSON: asked by static/js/passkeys.js."""
    try:
        return json_answer(passkey_rules.registration_options(policy(), current_user,
                                                              _passkey_challenge(open_new=True)))
    except Refused as error:
        return json_refused(error)


@bp.route("/passkeys", methods=["GET", "POST"])
@login_required
@limit_posts
@step_up_required
def passkey_add():
    """Add a passkey: give it a name, then the browser creates it (JavaScript and WebAuthn needed)."""
    form = NewPasskeyForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            passkey_rules.add(policy(), _passkey_challenge(), form.name.data, form.credential.data,
                              passkey_origins(), browser)
        except Refused as error:
            return refused("settings/passkey_add.html", error, form=form)
        session.pop("passkey", None)
        return _done(browser, text(messages.PASSKEY_ADDED))
    return form_page("settings/passkey_add.html", form)


def passkey_remove_context(passkey):
    """settings/passkey_remove.html's variables, but its form: the passkey (id, name, created_at, last_used_at)."""
    return {"passkey": passkey}


@bp.route("/passkeys/<int:passkey>/remove", methods=["GET", "POST"])
@login_required
@step_up_required
def passkey_remove(passkey):
    """Remove one passkey, after a confirmation (SMS, the authenticator app and the recovery code stay)."""
    row = passkey_rules.find(current_user.id, passkey)
    if row is None:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            passkey_rules.remove(current_user, row.id, browser)
        except Refused as error:
            return refused("settings/passkey_remove.html", error, form=form, **passkey_remove_context(row))
        return _done(browser, text(messages.PASSKEY_REMOVED))
    return form_page("settings/passkey_remove.html", form, **passkey_remove_context(row))
