"""Off, Enable, Unsubscribe, a new number, a new recovery code (help article, last notes), and adding or
removing an authenticator app beside SMS.

Off, Unsubscribe, a new number, a new recovery code and adding or removing an
authenticator app need the step-up of
views/step_up.py (the password typed again, then a passcode to the current
number or the recovery code); Enable needs the password typed again. Each
change is recorded as a security event, e-mails the owner, and ends the
account's other sessions.
GET shows what will happen; POST does it.
"""
from flask import Blueprint, flash, session, url_for
from flask_login import current_user, login_required

from twostep import authenticator as authenticator_rules
from twostep import challenges, totp
from twostep import settings as settings_rules
from twostep import signin as signin_rules
from twostep.codes import format_recovery_code
from twostep.sealed import SealError
from core.refusals import N_, Refused
from views import messages
from views.sessions import recent_password_or_prompt
from views.forms import AppCodeForm, ButtonForm, PasscodeForm, PhoneForm, first_error
from views.htmx import go, page, refused
from views.i18n import error_text, locale, show_phone, text, when
from views.limiter import limit_posts
from views.passcode_screen import passcode_screen
from views.passcode_screen import resend as resend_code
from views.step_up import after_sensitive_change, step_up_or_prompt
from views.web import client_ip, policy, sender, who

bp = Blueprint("settings", __name__)

# purpose -> the title of the shared passcode page.
PASSCODE_PURPOSES = {
    "enable": N_("Enable two-step verification"),
    "change": N_("Confirm your new phone number"),
}


def _after_change():
    """Use the step-up up, end the account's other sessions and renew this one's token (checklist item 24)."""
    after_sensitive_change()


def _done(message):
    """After a change: sessions as above, then back to the Account page with `message`."""
    _after_change()
    flash(message, "info")
    return go(url_for("account.personal"))


def _state():
    return signin_rules.effective_state(current_user)


@bp.route("/off", methods=["GET", "POST"])
@login_required
def off():
    """Off: stop asking for a passcode for a while, keeping the number and recovery code."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            until = settings_rules.turn_off(policy(), current_user, **who())
        except Refused as error:
            return refused("settings/off.html", error, form=form, off_days=policy().off_max_days)
        if until:
            return _done(text(messages.TWO_STEP_OFF_UNTIL, when=when(until)))
        return _done(text(messages.TWO_STEP_OFF))
    return page("settings/off.html", form=form, off_days=policy().off_max_days, error=None)


@bp.route("/unsubscribe", methods=["GET", "POST"])
@login_required
def unsubscribe():
    """Unsubscribe: remove two-step verification, its number and its recovery code."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            settings_rules.unsubscribe(current_user, **who())
        except Refused as error:
            return refused("settings/unsubscribe.html", error, form=form)
        session.pop("enable", None)
        session.pop("change", None)
        return _done(text(messages.TWO_STEP_REMOVED))
    return page("settings/unsubscribe.html", form=form, error=None)


@bp.route("/recovery-code", methods=["GET", "POST"])
@login_required
@limit_posts
def new_recovery_code():
    """A new recovery code replaces the old one, shown once."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            code = settings_rules.regenerate_recovery_code(current_user, **who())
        except Refused as error:
            return refused("settings/new_recovery_code.html", error, form=form, recovery_code=None)
        _after_change()
        return page("settings/new_recovery_code.html", form=form, error=None, recovery_code=format_recovery_code(code),
                    site_name=policy().site_name)
    return page("settings/new_recovery_code.html", form=form, recovery_code=None, error=None)


@bp.route("/enable", methods=["GET", "POST"])
@login_required
@limit_posts
def enable():
    """Enable: send a passcode to the kept number; entering it turns two-step verification on."""
    prompt = recent_password_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    context = {"form": form, "masked_phone": show_phone(current_user.phone, masked=True)}
    if form.validate_on_submit():
        try:
            challenge, session["enable"] = settings_rules.begin_enable(current_user)
            challenges.send_passcode(policy(), sender(), challenge, ip=client_ip(), to_confirmed=True,
                                     locale=locale())
        except Refused as error:
            return refused("settings/enable.html", error, **context)
        return go(url_for("two_step.settings.passcode", purpose="enable"))
    return page("settings/enable.html", error=None, **context)


@bp.route("/number", methods=["GET", "POST"])
@login_required
@limit_posts
def number():
    """Change the phone number: the new number must confirm a passcode first."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            _, session["change"] = settings_rules.begin_number_change(policy(), sender(), current_user,
                                                                form.phone.data, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("settings/number.html", error, form=form)
        return go(url_for("two_step.settings.passcode", purpose="change"))
    error = first_error(form) if form.is_submitted() else None
    return page("settings/number.html", status=422 if error else 200, form=form, error=error)


def _pending(purpose):
    if purpose not in PASSCODE_PURPOSES:
        return None
    return challenges.find_challenge(session.get(purpose), purpose, user_id=current_user.id,
                                     max_age_minutes=policy().reauth_minutes)


def _passcode_context(purpose, challenge, form=None):
    return {
        "purpose": purpose,
        "title": text(PASSCODE_PURPOSES[purpose]),
        **passcode_screen(challenge, form),
    }


FINISH = {"enable": settings_rules.finish_enable, "change": settings_rules.finish_number_change}
DONE_MESSAGES = {"enable": messages.TWO_STEP_ON_AGAIN, "change": messages.NUMBER_CHANGED}


@bp.route("/<purpose>/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
def passcode(purpose):
    """Enter the passcode that confirms Enable or a new number."""
    challenge = _pending(purpose)
    if challenge is None:
        flash(text(messages.STEP_EXPIRED), "error")
        return go(url_for("account.personal"))
    form = PasscodeForm()
    if form.validate_on_submit():
        try:
            FINISH[purpose](policy(), challenge, form.code.data, **who())
        except Refused as error:
            return refused("settings/passcode.html", error, **_passcode_context(purpose, challenge, form))
        session.pop(purpose, None)
        return _done(text(DONE_MESSAGES[purpose]))
    error = first_error(form) if form.is_submitted() else None
    return page("settings/passcode.html", status=422 if error else 200, error=error,
                **_passcode_context(purpose, challenge, form))


@bp.post("/<purpose>/resend")
@login_required
@limit_posts
def resend(purpose):
    """Resend the passcode for Enable or a new number (30-second cooldown)."""
    challenge = _pending(purpose)
    if challenge is None:
        return go(url_for("account.personal"))
    return resend_code(
        "settings/passcode.html", lambda: _passcode_context(purpose, challenge),
        lambda: challenges.send_passcode(policy(), sender(), challenge, ip=client_ip(),
                                         to_confirmed=(purpose == "enable"), locale=locale()),
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


def _setup_context(secret, form=None):
    site = policy().site_name
    uri = totp.provisioning_uri(secret, current_user.email, site)
    return {"form": form or AppCodeForm(), "grouped_secret": totp.group(secret),
            "qr_svg": totp.qr_svg(uri, text(messages.QR_TITLE)), "site_name": site}


@bp.route("/authenticator", methods=["GET", "POST"])
@login_required
@limit_posts
def authenticator_setup():
    """Add an authenticator app: scan the QR code (or type the key), then enter its first code."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    try:
        challenge, secret = _setup()
    except Refused as error:
        flash(error_text(error), "error")
        return go(url_for("account.personal"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            authenticator_rules.finish_setup(policy(), challenge, form.code.data, **who())
        except Refused as error:
            if challenges.find_challenge(session.get("totp"), "totp", user_id=current_user.id) is None:
                # Too many wrong codes: this key is void; a new one is shown.
                session.pop("totp", None)
                challenge, secret = _setup()
            return refused("settings/authenticator.html", error, **_setup_context(secret, form))
        session.pop("totp", None)
        return _done(text(messages.TOTP_ADDED))
    error = first_error(form) if form.is_submitted() else None
    return page("settings/authenticator.html", status=422 if error else 200, error=error,
                **_setup_context(secret, form))


@bp.route("/authenticator/remove", methods=["GET", "POST"])
@login_required
def authenticator_remove():
    """Remove the authenticator app (SMS and the recovery code stay)."""
    prompt = step_up_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            authenticator_rules.remove(current_user, **who())
        except Refused as error:
            return refused("settings/authenticator_remove.html", error, form=form)
        return _done(text(messages.TOTP_REMOVED))
    return page("settings/authenticator_remove.html", form=form, error=None)
