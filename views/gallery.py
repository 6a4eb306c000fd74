"""Development only: the gallery at /dev/gallery, every page and wizard step in every state.

For designers (in the manner of Flask-Security-Too's view_scaffold.py): each
entry renders a real template with sample context, as the whole page
(/dev/gallery/<slug>) or as the `main` block htmx swaps in
(/dev/gallery/<slug>?fragment=1, or an HX-Request header). Nothing is
written to the database; the user is a stand-in object. Served by views/dev.py,
in debug and testing only, like the outboxes.

Error messages come from the real rule exceptions through the same
translation the views use, so a state here reads exactly as it does live.
"""
import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import abort, current_app, flash, make_response, request
from flask_login import AnonymousUserMixin
from jinja2_fragments.flask import render_block

import accounts
import help_articles
from accounts import link_mail, notices
from core.clock import now
from core.phones import PHONE_INVALID, PhoneRejected
from twostep import challenges, refusals, totp
from twostep.codes import format_recovery_code, new_recovery_code
from views.error_pages import CSRF_MESSAGE, FILES_MESSAGE, MESSAGES, UNEXPECTED_MESSAGE
from views.forms import (AppCodeForm, ButtonForm, ChangePasswordForm, EmailForm, KeptForm, NewPasswordForm,
                         PasscodeForm, PasswordForm, PhoneForm, RecoveryCodeForm, SignInForm, SignUpForm, TimeZoneForm,
                         VoteForm)
from views.htmx import FRAGMENT_BLOCK, page
from views import messages
from views.account import event_detail, event_labels
from views.i18n import error_text, locale, show_phone, text, time_zone
from views.settings import PASSCODE_PURPOSES
from views.setup import step_context
from views.web import policy

SAMPLE_PHONE = "+819012345678"


@dataclass
class Entry:
    slug: str
    group: str
    state: str
    template: str
    context: object  # a function returning the template's variables (forms need a request)
    flashes: tuple = field(default=())  # (category, message id) flashed before rendering


def _user():
    return SimpleNamespace(id=0, name="Ann Example", email="ann@example.com", is_authenticated=True,
                           is_active=True, is_anonymous=False, two_step="on", phone=SAMPLE_PHONE,
                           get_id=lambda: "0")


def _signed_in(**context):
    return {"current_user": _user(), **context}


def _anonymous(**context):
    return {"current_user": AnonymousUserMixin(), **context}


def _err(error):
    return error_text(error)


def _wizard(step, **context):
    return _signed_in(**step_context(step, **context))


def _tz(chosen="", error=None, **context):
    """The Account page's time zone section: `chosen` zone ("" = the site's), optionally an error."""
    from core.translations import zone_choices, zone_name

    form = TimeZoneForm(formdata=None)
    site_zone = current_app.config["TIME_ZONE"]
    form.time_zone.choices = [("", text(messages.SITE_TIME_ZONE, zone=zone_name(site_zone, locale())))] + \
        zone_choices(locale())
    form.time_zone.data = chosen
    return {"tz_form": form, "tz_error": error, "time_zone": zone_name(chosen or site_zone, locale()), **context}


def _passcode(error=None, expires_in=None, cooldown=0, code=""):
    form = PasscodeForm()
    form.code.data = code
    return {
        "form": form,
        "resend_form": ButtonForm(prefix="resend"),
        "masked_phone": show_phone(SAMPLE_PHONE, masked=True),
        "expires_in": policy().passcode_ttl if expires_in is None else expires_in,
        "cooldown": cooldown,
        "error": error,
    }


def _phone_form(value=""):
    form = PhoneForm()
    form.phone.data = value
    return form


def _sample_code():
    return format_recovery_code(new_recovery_code())


def _two_step(state, off_until=None, app_added=None):
    return {"state": state, "masked_phone": show_phone(SAMPLE_PHONE, masked=True) if state != "none" else "",
            "off_until": off_until, "app_added": app_added}


def _methods(methods, sms_sent, error=None):
    return {"methods": methods, "sms_sent": sms_sent, "masked_phone": show_phone(SAMPLE_PHONE, masked=True),
            "form": ButtonForm(prefix="sms"), "error": error}


SAMPLE_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a sample only, never an account's


def _app_setup(error=None):
    uri = totp.provisioning_uri(SAMPLE_TOTP_SECRET, _user().email, policy().site_name)
    return {"form": AppCodeForm(), "error": error, "grouped_secret": totp.group(SAMPLE_TOTP_SECRET),
            "qr_svg": totp.qr_svg(uri, text(messages.QR_TITLE)), "site_name": policy().site_name}


def _events():
    at = now()
    rows = [
        ("recovery_code_new", "", 5),
        ("number_changed", "to " + show_phone(SAMPLE_PHONE, masked=True, region=None), 60),
        ("two_step_off", f"until {at + datetime.timedelta(days=7):%Y-%m-%d %H:%M} UTC", 120),
        ("two_step_on", "", 600),
        ("signin", "", 700),
        ("signup", "", 800),
    ]
    return {"events": [SimpleNamespace(kind=kind, detail=detail, created_at=at - datetime.timedelta(minutes=ago),
                                       user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
                                                  "AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
                                       ip="203.0.113.7", actor="")
                        for kind, detail, ago in rows],
            "labels": event_labels(), "detail": event_detail}


def _outbox():
    body = challenges.passcode_message(policy(), "123456", locale())
    return [SimpleNamespace(phone=SAMPLE_PHONE, created_at=now(), body=body)]


def _article(slug, helpful, total, mine=None, thanks=False, error=None):
    return {"title": text(help_articles.title(slug)), "policy": policy(), "ttl_minutes": policy().passcode_ttl // 60,
            "vote": {"slug": slug, "helpful": helpful, "total": total, "mine": mine, "thanks": thanks,
                     "error": error, "form": VoteForm(formdata=None)}}


def _mail():
    """A security e-mail as the mail outbox shows it, written in the reader's language."""
    user = _user()
    event = SimpleNamespace(kind="two_step_on", created_at=now(), actor="", ip="203.0.113.7", detail="",
                            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36")
    subject, body = notices.compose(policy().site_name, user, event, locale(), time_zone())
    return [SimpleNamespace(to=user.email, subject=subject, body=body, created_at=now())]


def _link_mail():
    """The "Forgot password?" e-mail as the mail outbox shows it (a made-up link)."""
    user = _user()
    subject, body = link_mail.compose("reset", policy().site_name, user.name,
                                         "https://example.com/password/reset?token=sample-token", 30, locale())
    return [SimpleNamespace(to=user.email, subject=subject, body=body, created_at=now())]


def _lost_phone(contact):
    return {**_article("lost-phone-and-recovery-code", helpful=0, total=0), "support_contact": contact}


def _entries():
    """Every entry, in the order a user meets them."""
    p = policy
    E = Entry
    return [
        # Signing up and in
        E("signup", "Sign up", "empty", "account/signup.html", lambda: _anonymous(form=SignUpForm(), error=None)),
        E("signup-error", "Sign up", "error: password too short", "account/signup.html",
          lambda: _anonymous(form=SignUpForm(), error=_err(accounts.AccountError(accounts.PASSWORD_TOO_SHORT,
                                                                                 num=accounts.MIN_PASSWORD)))),
        E("signup-sent", "Sign up", "check your email (every address)", "email/check_email.html",
          lambda: _anonymous(verification=True)),
        E("signup-sent-no-verification", "Sign up", "check your email, EMAIL_VERIFICATION=0", "email/check_email.html",
          lambda: _anonymous(verification=False)),
        E("confirm-email", "Confirm your email address", "link opened", "email/confirm.html",
          lambda: _anonymous(form=ButtonForm(), email=_user().email, error=None)),
        E("confirm-email-dead", "Confirm your email address", "link expired or used", "email/confirm.html",
          lambda: _anonymous(form=None, email=None, error=None)),
        E("signin", "Sign in", "empty", "signin/password.html", lambda: _anonymous(form=SignInForm(), error=None)),
        E("signin-error", "Sign in", "error: wrong password", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=_wrong_password())),
        E("signin-signed-out", "Sign in", "after signing out (message)", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("info", messages.SIGNED_OUT),)),
        E("signin-throttled", "Sign in", "error: too many wrong passwords for the address", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=_err(accounts.PasswordThrottled(4 * 60)))),
        E("signin-expired", "Sign in", "pending sign-in expired", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("error", messages.SIGNIN_EXPIRED),)),
        E("signin-email-confirmed", "Sign in", "after confirming the address (message)", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("info", messages.EMAIL_CONFIRMED),)),
        E("signin-password-reset", "Sign in", "after a password reset (message)", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("info", messages.PASSWORD_RESET),)),
        E("signin-new-password-needed", "Sign in", "error: administrator reset, new password needed",
          "signin/password.html", lambda: _anonymous(form=SignInForm(), error=text(messages.NEW_PASSWORD_NEEDED))),
        E("forgot", "Forgot password?", "empty", "password/forgot.html",
          lambda: _anonymous(form=EmailForm(), error=None, sent=False)),
        E("forgot-error", "Forgot password?", "error: no address", "password/forgot.html",
          lambda: _anonymous(form=EmailForm(), error=text(accounts.EMAIL_EMPTY), sent=False)),
        E("forgot-sent", "Forgot password?", "link sent (every address)", "password/forgot.html",
          lambda: _anonymous(form=None, error=None, sent=True, minutes=30)),
        E("reset", "Choose a new password", "link opened", "password/reset.html",
          lambda: _anonymous(form=NewPasswordForm(), error=None, email=_user().email)),
        E("reset-error", "Choose a new password", "error: password too short", "password/reset.html",
          lambda: _anonymous(form=NewPasswordForm(), email=_user().email,
                             error=_err(accounts.AccountError(accounts.PASSWORD_TOO_SHORT, num=accounts.MIN_PASSWORD)))),
        E("reset-dead", "Choose a new password", "link expired or used", "password/reset.html",
          lambda: _anonymous(form=None, error=None, email=None)),
        E("reauth", "Confirm your password", "empty", "account/reauth.html",
          lambda: _signed_in(form=PasswordForm(), error=None, next="/two-step/off")),
        E("reauth-error", "Confirm your password", "error: wrong password", "account/reauth.html",
          lambda: _signed_in(form=PasswordForm(), error=_wrong_password(reauth=True), next="/two-step/off")),
        # Sign-in second step
        E("signin-passcode", "Sign-in passcode", "just sent (resend cooldown)", "signin/passcode.html",
          lambda: _anonymous(**_passcode(cooldown=p().resend_cooldown))),
        E("signin-passcode-ready", "Sign-in passcode", "Resend available", "signin/passcode.html",
          lambda: _anonymous(**_passcode(expires_in=185))),
        E("signin-passcode-wrong", "Sign-in passcode", "error: wrong code", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.WrongCode(3)), code="123455", expires_in=170))),
        E("signin-passcode-expired", "Sign-in passcode", "expired code", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.CodeExpired()), expires_in=0, code="123456"))),
        E("signin-passcode-voided", "Sign-in passcode", "code stopped working", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.CodeVoided()), expires_in=0))),
        E("signin-passcode-cooldown", "Sign-in passcode", "error: resend cooldown", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.Cooldown(12)), cooldown=12, expires_in=288))),
        E("signin-passcode-locked", "Sign-in passcode", "locked after wrong codes", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.Locked(14 * 60)), expires_in=0))),
        E("signin-passcode-locked-until-recovery", "Sign-in passcode", "locked until the recovery code is used",
          "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.Locked(86400, refusals.LOCKED_UNTIL_RECOVERY)),
                                         expires_in=0))),
        E("signin-passcode-too-many", "Sign-in passcode", "this sign-in had all its tries", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.TooManyTries()), expires_in=0))),
        E("signin-passcode-cap", "Sign-in passcode", "SMS cap reached", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.SmsCapReached(3600, refusals.CAP_ACCOUNT_HOUR)),
                                         expires_in=0))),
        E("signin-passcode-send-failed", "Sign-in passcode", "SMS could not be sent", "signin/passcode.html",
          lambda: _anonymous(**_passcode(error=_err(refusals.SendFailed()), expires_in=0))),
        E("signin-passcode-resent", "Sign-in passcode", "after Resend (message)", "signin/passcode.html",
          lambda: _anonymous(**_passcode(cooldown=p().resend_cooldown)), flashes=(("info", messages.RESENT),)),
        E("another-method", "Try another method", "choices", "signin/another_method.html",
          lambda: _anonymous(**_methods(["sms"], sms_sent=True))),
        E("another-method-app", "Try another method", "with an authenticator app, no SMS sent yet",
          "signin/another_method.html", lambda: _anonymous(**_methods(["sms", "totp"], sms_sent=False))),
        E("another-method-app-cap", "Try another method", "error: SMS cap reached",
          "signin/another_method.html",
          lambda: _anonymous(**_methods(["sms", "totp"], sms_sent=False,
                                        error=_err(refusals.SmsCapReached(3600, refusals.CAP_ACCOUNT_HOUR))))),
        E("signin-app", "Authenticator app code", "empty", "signin/authenticator.html",
          lambda: _anonymous(form=AppCodeForm(), error=None)),
        E("signin-app-wrong", "Authenticator app code", "error: wrong code", "signin/authenticator.html",
          lambda: _anonymous(form=AppCodeForm(), error=_err(refusals.TwoStepError(refusals.TOTP_WRONG)))),
        E("signin-app-used", "Authenticator app code", "error: code already used", "signin/authenticator.html",
          lambda: _anonymous(form=AppCodeForm(), error=_err(refusals.TwoStepError(refusals.TOTP_USED)))),
        E("signin-app-locked", "Authenticator app code", "locked after wrong codes", "signin/authenticator.html",
          lambda: _anonymous(form=AppCodeForm(), error=_err(refusals.Locked(14 * 60)))),
        E("signin-recovery", "Recovery code entry", "empty", "signin/recovery.html",
          lambda: _anonymous(form=RecoveryCodeForm(), error=None)),
        E("signin-recovery-wrong", "Recovery code entry", "error: wrong code", "signin/recovery.html",
          lambda: _anonymous(form=RecoveryCodeForm(), error=_err(refusals.WrongRecoveryCode()))),
        E("signin-recovery-format", "Recovery code entry", "error: not a recovery code", "signin/recovery.html",
          lambda: _anonymous(form=RecoveryCodeForm(), error=_err(refusals.TwoStepError(refusals.RECOVERY_FORMAT)))),
        E("signin-new-recovery-code", "New recovery code after sign-in", "new code shown",
          "signin/new_recovery_code.html",
          lambda: _signed_in(recovery_code=_sample_code(), site_name=p().site_name)),
        E("signin-recovery-kept", "New recovery code after sign-in", "tick the box", "signin/recovery_kept.html",
          lambda: _signed_in(form=KeptForm(), error=None, user=_user())),
        E("signin-recovery-kept-error", "New recovery code after sign-in", "error: box not ticked",
          "signin/recovery_kept.html",
          lambda: _signed_in(form=KeptForm(), error=_err(refusals.NotBoxTicked()), user=_user())),
        # Dashboard and Account
        E("dashboard", "Dashboard", "signed in", "account/dashboard.html", lambda: _signed_in()),
        E("account-not-set-up", "Account", "two-step not set up", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("none"), button_form=ButtonForm(), **_tz())),
        E("account-on", "Account", "two-step on", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("on"), button_form=ButtonForm(), **_tz()),
          flashes=(("info", messages.TWO_STEP_ON),)),
        E("account-on-app", "Account", "two-step on, with an authenticator app", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), button_form=ButtonForm(),
                             two_step=_two_step("on", app_added=now() - datetime.timedelta(days=3)), **_tz()),
          flashes=(("info", messages.TOTP_ADDED),)),
        E("account-off-until", "Account", "Off until a date", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), button_form=ButtonForm(), **_tz(),
                             two_step=_two_step("off", now() + datetime.timedelta(days=p().off_max_days or 7)))),
        E("account-time-zone-saved", "Account", "time zone chosen and saved", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("on"), button_form=ButtonForm(),
                             **_tz("America/Los_Angeles")),
          flashes=(("info", messages.TIME_ZONE_SAVED),)),
        E("account-time-zone-error", "Account", "time zone, error: not in the list", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("on"), button_form=ButtonForm(),
                             **_tz(error=text(messages.TIME_ZONE_UNKNOWN)))),
        E("account-off", "Account", "Off until Enable", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("off"), button_form=ButtonForm(), **_tz())),
        E("account-unconfirmed", "Account", "email address not confirmed", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("none"), button_form=ButtonForm(),
                             email_unconfirmed=True, **_tz())),
        E("account-password-changed", "Account", "after Change password (message)", "account/personal.html",
          lambda: _signed_in(tab="personal", user=_user(), two_step=_two_step("on"), button_form=ButtonForm(),
                             **_tz()), flashes=(("info", messages.PASSWORD_CHANGED),)),
        E("change-password", "Change password", "empty", "password/change.html",
          lambda: _signed_in(tab="personal", user=_user(), form=ChangePasswordForm(), error=None)),
        E("change-password-error", "Change password", "error: current password wrong", "password/change.html",
          lambda: _signed_in(tab="personal", user=_user(), form=ChangePasswordForm(),
                             error=_err(accounts.AccountError(accounts.CURRENT_PASSWORD_WRONG)))),
        E("activity", "Account", "security activity", "account/activity.html",
          lambda: _signed_in(tab="activity", user=_user(), **_events())),
        E("activity-empty", "Account", "security activity, empty", "account/activity.html",
          lambda: _signed_in(tab="activity", user=_user(), events=[], labels={}, detail=event_detail)),
        # Set-up wizard
        E("email-required", "Set-up wizard", "address not confirmed yet", "email/required.html",
          lambda: _signed_in(user=_user(), form=ButtonForm())),
        E("email-required-resent", "Set-up wizard", "address not confirmed, link sent again",
          "email/required.html", lambda: _signed_in(user=_user(), form=ButtonForm()),
          flashes=(("info", messages.CONFIRMATION_SENT),)),
        E("wizard-phone", "Set-up wizard", "STEP 3 phone number, empty", "setup/phone.html",
          lambda: _wizard("phone", form=_phone_form(), error=None)),
        E("wizard-phone-error", "Set-up wizard", "STEP 3 phone number, error", "setup/phone.html",
          lambda: _wizard("phone", form=_phone_form("090-1234"), error=_err(PhoneRejected(PHONE_INVALID)))),
        E("wizard-phone-edit", "Set-up wizard", "STEP 3 after Edit (number kept)", "setup/phone.html",
          lambda: _wizard("phone", form=_phone_form(show_phone(SAMPLE_PHONE, region="JP")), error=None)),
        E("wizard-passcode", "Set-up wizard", "STEP 4 passcode just sent", "setup/passcode.html",
          lambda: _wizard("passcode", **_passcode(cooldown=p().resend_cooldown))),
        E("wizard-passcode-wrong", "Set-up wizard", "STEP 4 error: wrong code", "setup/passcode.html",
          lambda: _wizard("passcode", **_passcode(error=_err(refusals.WrongCode(1)), code="000000", expires_in=240))),
        E("wizard-passcode-expired", "Set-up wizard", "STEP 4 expired code", "setup/passcode.html",
          lambda: _wizard("passcode", **_passcode(error=_err(refusals.CodeExpired()), expires_in=0))),
        E("wizard-passcode-cooldown", "Set-up wizard", "STEP 4 error: resend cooldown", "setup/passcode.html",
          lambda: _wizard("passcode", **_passcode(error=_err(refusals.Cooldown(25)), cooldown=25, expires_in=295))),
        E("wizard-passcode-locked", "Set-up wizard", "STEP 4 locked", "setup/passcode.html",
          lambda: _wizard("passcode", **_passcode(error=_err(refusals.Locked(60)), expires_in=0))),
        E("wizard-recovery", "Set-up wizard", "STEP 5 recovery code shown", "setup/recovery.html",
          lambda: _wizard("recovery", recovery_code=_sample_code(), form=ButtonForm(), site_name=p().site_name)),
        E("wizard-recovery-shown", "Set-up wizard", "STEP 5 already shown", "setup/recovery.html",
          lambda: _wizard("recovery", recovery_code=None, form=ButtonForm(), site_name=p().site_name)),
        E("wizard-confirm", "Set-up wizard", "STEP 6 confirmation", "setup/confirm.html",
          lambda: _wizard("confirm", form=KeptForm(), error=None)),
        E("wizard-confirm-error", "Set-up wizard", "STEP 6 error: box not ticked", "setup/confirm.html",
          lambda: _wizard("confirm", form=KeptForm(), error=_err(refusals.NotBoxTicked()))),
        # Changes after set-up
        E("off", "Off", "confirm", "settings/off.html",
          lambda: _signed_in(form=ButtonForm(), error=None, off_days=p().off_max_days)),
        E("off-forever", "Off", "confirm, no time limit", "settings/off.html",
          lambda: _signed_in(form=ButtonForm(), error=None, off_days=0)),
        E("enable", "Enable", "confirm", "settings/enable.html",
          lambda: _signed_in(form=ButtonForm(), error=None, masked_phone=show_phone(SAMPLE_PHONE, masked=True))),
        E("enable-error", "Enable", "error: SMS cap", "settings/enable.html",
          lambda: _signed_in(form=ButtonForm(), masked_phone=show_phone(SAMPLE_PHONE, masked=True),
                             error=_err(refusals.SmsCapReached(3600, refusals.CAP_NUMBER_DAY)))),
        E("enable-passcode", "Enable", "passcode", "settings/passcode.html",
          lambda: _signed_in(purpose="enable", **_settings_passcode("enable"))),
        E("authenticator-setup", "Authenticator app", "QR code and key", "settings/authenticator.html",
          lambda: _signed_in(**_app_setup())),
        E("authenticator-setup-wrong", "Authenticator app", "error: wrong first code", "settings/authenticator.html",
          lambda: _signed_in(**_app_setup(error=_err(refusals.TwoStepError(refusals.TOTP_SETUP_WRONG))))),
        E("authenticator-remove", "Authenticator app", "remove, confirm", "settings/authenticator_remove.html",
          lambda: _signed_in(form=ButtonForm(), error=None)),
        E("unsubscribe", "Unsubscribe", "confirm", "settings/unsubscribe.html",
          lambda: _signed_in(form=ButtonForm(), error=None)),
        E("new-recovery-code", "New recovery code", "confirm", "settings/new_recovery_code.html",
          lambda: _signed_in(form=ButtonForm(), error=None, recovery_code=None)),
        E("new-recovery-code-shown", "New recovery code", "new code shown", "settings/new_recovery_code.html",
          lambda: _signed_in(form=ButtonForm(), error=None, recovery_code=_sample_code(), site_name=p().site_name)),
        E("number", "Change number", "empty", "settings/number.html",
          lambda: _signed_in(form=_phone_form(), error=None)),
        E("number-error", "Change number", "error: same number", "settings/number.html",
          lambda: _signed_in(form=_phone_form("090-1234-5678"), error=_err(refusals.TwoStepError(refusals.SAME_NUMBER)))),
        E("number-passcode", "Change number", "passcode to the new number (with Edit)", "settings/passcode.html",
          lambda: _signed_in(purpose="change", **_settings_passcode("change"))),
        E("number-passcode-wrong", "Change number", "passcode, error: wrong code", "settings/passcode.html",
          lambda: _signed_in(purpose="change", **_settings_passcode("change", error=_err(refusals.WrongCode(4))))),
        # Step-up before Off, Unsubscribe, a new number, a new recovery code (after "Confirm your password")
        E("step-up", "Step-up", "send a passcode to the current number", "settings/verify.html",
          lambda: _signed_in(form=ButtonForm(), error=None, masked_phone=show_phone(SAMPLE_PHONE, masked=True),
                             has_app=False)),
        E("step-up-with-app", "Step-up", "the account has an authenticator app", "settings/verify.html",
          lambda: _signed_in(form=ButtonForm(), error=None, masked_phone=show_phone(SAMPLE_PHONE, masked=True),
                             has_app=True)),
        E("step-up-app", "Step-up", "authenticator app's code", "settings/verify_authenticator.html",
          lambda: _signed_in(form=AppCodeForm(), error=None)),
        E("step-up-app-used", "Step-up", "authenticator app, error: code already used",
          "settings/verify_authenticator.html",
          lambda: _signed_in(form=AppCodeForm(), error=_err(refusals.TwoStepError(refusals.TOTP_USED)))),
        E("step-up-error", "Step-up", "error: SMS cap", "settings/verify.html",
          lambda: _signed_in(form=ButtonForm(), masked_phone=show_phone(SAMPLE_PHONE, masked=True), has_app=False,
                             error=_err(refusals.SmsCapReached(3600, refusals.CAP_NUMBER_DAY)))),
        E("step-up-expired", "Step-up", "passcode step expired, start again", "settings/verify.html",
          lambda: _signed_in(form=ButtonForm(), error=None, masked_phone=show_phone(SAMPLE_PHONE, masked=True),
                             has_app=False),
          flashes=(("error", messages.STEP_EXPIRED),)),
        E("step-up-passcode", "Step-up", "passcode", "settings/verify_passcode.html",
          lambda: _signed_in(**_passcode())),
        E("step-up-passcode-wrong", "Step-up", "passcode, error: wrong code", "settings/verify_passcode.html",
          lambda: _signed_in(**_passcode(error=_err(refusals.WrongCode(4)), code="000000", expires_in=240))),
        E("step-up-passcode-cooldown", "Step-up", "error: resend cooldown", "settings/verify_passcode.html",
          lambda: _signed_in(**_passcode(error=_err(refusals.Cooldown(25)), cooldown=25, expires_in=295))),
        E("step-up-passcode-locked", "Step-up", "locked", "settings/verify_passcode.html",
          lambda: _signed_in(**_passcode(error=_err(refusals.Locked(60)), expires_in=0))),
        E("step-up-recovery", "Step-up", "recovery code (Try another method)", "settings/verify_recovery.html",
          lambda: _signed_in(form=RecoveryCodeForm(), error=None)),
        E("step-up-recovery-wrong", "Step-up", "recovery code, error: wrong code", "settings/verify_recovery.html",
          lambda: _signed_in(form=RecoveryCodeForm(), error=_err(refusals.WrongRecoveryCode()))),
        E("step-up-new-code", "Step-up", "new recovery code shown, Continue to the change",
          "settings/verify_new_code.html",
          lambda: _signed_in(recovery_code=_sample_code(), site_name=p().site_name, next_url="/two-step/number")),
        # Errors and development pages
        E("error-400", "Error pages", "400 form expired (CSRF)", "errors/error.html",
          lambda: _anonymous(status_code=400, message=text(CSRF_MESSAGE), request_id=None)),
        E("error-400-files", "Error pages", "400 a file sent in a text field", "errors/error.html",
          lambda: _anonymous(status_code=400, message=text(FILES_MESSAGE), request_id=None)),
        E("error-415", "Error pages", "415 not sent as a form", "errors/error.html",
          lambda: _anonymous(status_code=415, message=text(MESSAGES[415]), request_id=None)),
        E("error-404", "Error pages", "404 not found", "errors/error.html",
          lambda: _anonymous(status_code=404, message=text(MESSAGES[404]), request_id=None)),
        E("error-429", "Error pages", "429 too many attempts", "errors/error.html",
          lambda: _anonymous(status_code=429, message=text(MESSAGES[429]), request_id=None)),
        E("error-500", "Error pages", "500 our side", "errors/error.html",
          lambda: _anonymous(status_code=500, message=text(UNEXPECTED_MESSAGE), request_id="3f2a9c0d1e4b5a67")),
        # Help articles
        E("help-index", "Help", "list of articles", "help/index.html",
          lambda: _anonymous(articles={slug: text(title) for slug, title in help_articles.ARTICLES.items()})),
        E("help-article", "Help", "set-up article, signed out (sign in to vote)", "help/two_step_verification.html",
          lambda: _anonymous(**_article("two-step-verification", helpful=0, total=0))),
        E("help-article-voted", "Help", "set-up article, just answered Yes", "help/two_step_verification.html",
          lambda: _signed_in(**_article("two-step-verification", helpful=3, total=4, mine=True, thanks=True))),
        E("help-code-article", "Help", "code article, not answered", "help/two_step_verification_code.html",
          lambda: _signed_in(**_article("two-step-verification-code", helpful=1, total=1))),
        E("help-code-article-error", "Help", "code article, vote refused", "help/two_step_verification_code.html",
          lambda: _signed_in(**_article("two-step-verification-code", helpful=1, total=2, mine=False,
                                        error=text(messages.RELOAD)))),
        E("help-lost-phone", "Help", "lost phone and recovery code, SUPPORT_CONTACT set", "help/lost_phone.html",
          lambda: _anonymous(**_lost_phone("support@example.com"))),
        E("help-lost-phone-no-contact", "Help", "lost phone and recovery code, no SUPPORT_CONTACT",
          "help/lost_phone.html", lambda: _anonymous(**_lost_phone(None))),
        E("outbox", "SMS outbox", "a message", "dev/outbox.html", lambda: _anonymous(messages=_outbox())),
        E("outbox-empty", "SMS outbox", "empty", "dev/outbox.html", lambda: _anonymous(messages=[])),
        E("mail", "Mail outbox", "a security e-mail", "dev/mail.html", lambda: _anonymous(messages=_mail())),
        E("mail-reset-link", "Mail outbox", "a \"Forgot password?\" link", "dev/mail.html",
          lambda: _anonymous(messages=_link_mail())),
        E("mail-empty", "Mail outbox", "empty", "dev/mail.html", lambda: _anonymous(messages=[])),
    ]


def _settings_passcode(purpose, error=None):
    return {"title": text(PASSCODE_PURPOSES[purpose]), **_passcode(error=error, cooldown=policy().resend_cooldown)}


def _wrong_password(reauth=False):
    return text(messages.REAUTH_WRONG if reauth else messages.SIGNIN_WRONG)


def entries():
    """{slug: Entry}, in order."""
    return {entry.slug: entry for entry in _entries()}


def index():
    """The list of entries, grouped, each linked as a page and as a fragment."""
    groups = {}
    for entry in _entries():
        groups.setdefault(entry.group, []).append(entry)
    return page("dev/gallery.html", groups=groups)


def entry(slug):
    """One entry: the whole page, or with ?fragment=1 (or HX-Request) the block htmx swaps in."""
    found = entries().get(slug)
    if found is None:
        abort(404)
    for category, message in found.flashes:
        flash(text(message), category)
    context = found.context()
    if request.args.get("fragment"):
        response = make_response(render_block(found.template, FRAGMENT_BLOCK, **context))
        response.vary.add("HX-Request")
        return response
    return page(found.template, **context)
