"""Development only: the gallery at /dev/gallery, every page and wizard step in every state.

For designers (in the manner of Flask-Security-Too's view_scaffold.py): each
entry renders a real template with sample context, as the whole page
(/dev/gallery/<slug>) or as the `main` block htmx swaps in
(/dev/gallery/<slug>?fragment=1, or an HX-Request header). The context comes
from the views' own builders (`*_context`), so a page here has exactly the
variables it has live. Nothing is written to the database; the user is a
stand-in object. Served in debug and tests only, like the outboxes (views/dev.py).

Error messages come from the real rule exceptions through the same
translation the views use, so a state here reads exactly as it does live.
"""
import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import abort, flash, make_response, request
from flask_login import AnonymousUserMixin
from jinja2_fragments.flask import render_block

import accounts
from accounts import AccountError, link_mail, notices
from core.clock import now
from core.phones import PHONE_INVALID, PhoneRejected
from core.refusals import Refused
from twostep import challenges, passkeys, refusals
from twostep.codes import new_recovery_code
from views import account, error_pages, help, messages, settings, setup, signin, step_up
from views import email as email_pages, password as password_pages
from views.forms import (AppCodeForm, ButtonForm, ChangePasswordForm, EmailForm, KeptForm, NewPasskeyForm,
                         NewPasswordForm, PasscodeForm, PasskeyForm, PasswordForm, PhoneForm, RecoveryCodeForm,
                         SignInForm, SignUpForm)
from views.htmx import FRAGMENT_BLOCK, page
from views.i18n import error_text, locale, show_phone, text, time_zone
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


SAMPLE_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a sample only, never an account's


def _user(two_step="on", off_until=None, time_zone="", app_added=None):
    phone = SAMPLE_PHONE if two_step != "none" else None
    return SimpleNamespace(id=0, name="Ann Example", email="ann@example.com", is_authenticated=True,
                           is_active=True, is_anonymous=False, two_step=two_step, phone=phone, off_until=off_until,
                           time_zone=time_zone, totp_secret="sealed" if app_added else None, totp_added_at=app_added,
                           second_step_method=None, email_verified_at=now(), get_id=lambda: "0")


def _with_app():
    return _user(app_added=now() - datetime.timedelta(days=3))


def _with_passkeys():
    user = _user()
    user.has_passkeys, user.second_step_method = True, "passkey"
    return user


def _passkeys():
    """Two sample passkeys as the Account page lists them: one used yesterday, one not yet."""
    at = now()
    return [SimpleNamespace(id=1, name="Pixel 9", created_at=at - datetime.timedelta(days=30),
                            last_used_at=at - datetime.timedelta(days=1)),
            SimpleNamespace(id=2, name="Work laptop", created_at=at - datetime.timedelta(minutes=1), last_used_at=None)]


def _passkey_refusal(msgid, status=422, **params):
    return refusals.TwoStepError(msgid, status=status, **params)


def _signed_in(**context):
    return {"current_user": _user(), **context}


def _anonymous(**context):
    return {"current_user": AnonymousUserMixin(), **context}


def _form(form, error=None, **context):
    """What form_page() and refused() give a form step: the form, its error (a Refused, or None) and the rest."""
    return {"form": form, "error": error_text(error) if isinstance(error, Refused) else error, **context}


def _filled(form_class, **data):
    form = form_class()
    for name, value in data.items():
        getattr(form, name).data = value
    return form


def _sent(ago=0, live=True):
    """A verification to SAMPLE_PHONE whose passcode was sent `ago` seconds before AT (`live=False`: none is
    live), and AT: the screen's timers are counted at that moment, so they read exactly `ago` later."""
    at = now()
    return SimpleNamespace(phone=SAMPLE_PHONE, code_hash="sample" if live else None,
                           code_sent_at=at - datetime.timedelta(seconds=ago)), at


def _expired():
    return _sent(policy().passcode_ttl + 10)


def _events():
    at = now()
    masked = show_phone(SAMPLE_PHONE, masked=True, region=None)
    rows = [
        ("recovery_code_new", {}, 5),
        ("number_changed", {"to": masked}, 60),
        ("two_step_off", {"until": (at + datetime.timedelta(days=7)).isoformat(timespec="minutes")}, 120),
        ("two_step_on", {}, 600),
        ("signin", {}, 700),
        ("signup", {}, 800),
    ]
    return [SimpleNamespace(kind=kind, details=details, actor="", created_at=at - datetime.timedelta(minutes=ago),
                            user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
                                       "AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1",
                            ip="203.0.113.7")
            for kind, details, ago in rows]


def _outbox():
    body = challenges.passcode_message(policy(), "123456", locale())
    return [SimpleNamespace(phone=SAMPLE_PHONE, created_at=now(), body=body)]


def _article(slug, helpful, total, mine=None, thanks=False, error=None):
    return help.article_context(slug, help.vote_context(slug, helpful, total, mine, error=error, thanks=thanks))


def _mail():
    """A security e-mail as the mail outbox shows it, written in the reader's language."""
    user = _user()
    event = SimpleNamespace(kind="two_step_on", created_at=now(), actor="", ip="203.0.113.7", details={},
                            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36")
    subject, body = notices.compose(policy().site_name, user, event, locale(), time_zone())
    return [SimpleNamespace(to=user.email, subject=subject, body=body, created_at=now())]


def _wrong_password(reauth=False):
    return text(messages.REAUTH_WRONG if reauth else messages.SIGNIN_WRONG)


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
    signin_passcode = signin.passcode_context
    wizard_passcode = setup.passcode_context
    step = setup.step_context
    return [
        # Signing up and in
        E("signup", "Sign up", "empty", "account/signup.html", lambda: _anonymous(**_form(SignUpForm()))),
        E("signup-error", "Sign up", "error: password too short", "account/signup.html",
          lambda: _anonymous(**_form(SignUpForm(), AccountError(accounts.PASSWORD_TOO_SHORT, num=accounts.MIN_PASSWORD)))),
        E("signup-sent", "Sign up", "check your email (every address)", "email/check_email.html",
          lambda: _anonymous(**email_pages.check_email_context(True))),
        E("signup-sent-no-verification", "Sign up", "check your email, EMAIL_VERIFICATION=0", "email/check_email.html",
          lambda: _anonymous(**email_pages.check_email_context(False))),
        E("confirm-email", "Confirm your email address", "link opened", "email/confirm.html",
          lambda: _anonymous(form=ButtonForm(), **email_pages.confirm_context(_user().email))),
        E("confirm-email-dead", "Confirm your email address", "link expired or used", "email/confirm.html",
          lambda: _anonymous(**email_pages.confirm_context())),
        E("signin", "Sign in", "empty", "signin/password.html", lambda: _anonymous(**_form(SignInForm()))),
        E("signin-error", "Sign in", "error: wrong password", "signin/password.html",
          lambda: _anonymous(**_form(SignInForm(), _wrong_password()))),
        E("signin-signed-out", "Sign in", "after signing out (message)", "signin/password.html",
          lambda: _anonymous(**_form(SignInForm())), flashes=(("info", messages.SIGNED_OUT),)),
        E("signin-throttled", "Sign in", "error: too many wrong passwords for the address", "signin/password.html",
          lambda: _anonymous(**_form(SignInForm(), accounts.PasswordThrottled(4 * 60)))),
        E("signin-expired", "Sign in", "pending sign-in expired", "signin/password.html",
          lambda: _anonymous(**_form(SignInForm())), flashes=(("error", messages.SIGNIN_EXPIRED),)),
        E("signin-email-confirmed", "Sign in", "after confirming the address (message)", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("info", messages.EMAIL_CONFIRMED),)),
        E("signin-password-reset", "Sign in", "after a password reset (message)", "signin/password.html",
          lambda: _anonymous(form=SignInForm(), error=None), flashes=(("info", messages.PASSWORD_RESET),)),
        E("signin-new-password-needed", "Sign in", "error: administrator reset, new password needed",
          "signin/password.html", lambda: _anonymous(form=SignInForm(), error=text(messages.NEW_PASSWORD_NEEDED))),
        E("forgot", "Forgot password?", "empty", "password/forgot.html",
          lambda: _anonymous(**_form(EmailForm(), **password_pages.forgot_context()))),
        E("forgot-error", "Forgot password?", "error: no address", "password/forgot.html",
          lambda: _anonymous(**_form(EmailForm(), AccountError(accounts.EMAIL_EMPTY),
                                     **password_pages.forgot_context()))),
        E("forgot-sent", "Forgot password?", "link sent (every address)", "password/forgot.html",
          lambda: _anonymous(**password_pages.forgot_sent_context())),
        E("reset", "Choose a new password", "link opened", "password/reset.html",
          lambda: _anonymous(**_form(NewPasswordForm(), **password_pages.reset_context(_user().email)))),
        E("reset-error", "Choose a new password", "error: password too short", "password/reset.html",
          lambda: _anonymous(**_form(NewPasswordForm(), AccountError(accounts.PASSWORD_TOO_SHORT, num=accounts.MIN_PASSWORD),
                                     **password_pages.reset_context(_user().email)))),
        E("reset-dead", "Choose a new password", "link expired or used", "password/reset.html",
          lambda: _anonymous(**password_pages.reset_context())),
        E("reauth", "Confirm your password", "empty", "account/reauth.html",
          lambda: _signed_in(**_form(PasswordForm(), next="/two-step/off"))),
        E("reauth-error", "Confirm your password", "error: wrong password", "account/reauth.html",
          lambda: _signed_in(**_form(PasswordForm(), _wrong_password(reauth=True), next="/two-step/off"))),
        # Sign-in second step
        E("signin-passcode", "Sign-in passcode", "just sent (resend cooldown)", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), **signin_passcode(*_sent())))),
        E("signin-passcode-ready", "Sign-in passcode", "Resend available", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), **signin_passcode(*_sent(115))))),
        E("signin-passcode-wrong", "Sign-in passcode", "error: wrong code", "signin/passcode.html",
          lambda: _anonymous(**_form(_filled(PasscodeForm, code="123455"), refusals.WrongCode(3),
                                     **signin_passcode(*_sent(130))))),
        E("signin-passcode-expired", "Sign-in passcode", "expired code", "signin/passcode.html",
          lambda: _anonymous(**_form(_filled(PasscodeForm, code="123456"), refusals.CodeExpired(),
                                     **signin_passcode(*_expired())))),
        E("signin-passcode-voided", "Sign-in passcode", "code stopped working", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.CodeVoided(),
                                     **signin_passcode(*_sent(40, live=False))))),
        E("signin-passcode-cooldown", "Sign-in passcode", "error: resend cooldown", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.Cooldown(12), **signin_passcode(*_sent(18))))),
        E("signin-passcode-locked", "Sign-in passcode", "locked after wrong codes", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.Locked(14 * 60),
                                     **signin_passcode(*_sent(60, live=False))))),
        E("signin-passcode-locked-until-recovery", "Sign-in passcode", "locked until the recovery code is used",
          "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.Locked(86400, refusals.LOCKED_UNTIL_RECOVERY),
                                     **signin_passcode(*_sent(60, live=False))))),
        E("signin-passcode-too-many", "Sign-in passcode", "this sign-in had all its tries", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.TooManyTries(),
                                     **signin_passcode(*_sent(60, live=False))))),
        E("signin-passcode-cap", "Sign-in passcode", "SMS cap reached", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.SmsCapReached(3600, refusals.CAP_ACCOUNT_HOUR),
                                     **signin_passcode(*_expired())))),
        E("signin-passcode-send-failed", "Sign-in passcode", "SMS could not be sent", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), refusals.SendFailed(),
                                     **signin_passcode(*_sent(0, live=False))))),
        E("signin-passcode-resent", "Sign-in passcode", "after Resend (message)", "signin/passcode.html",
          lambda: _anonymous(**_form(PasscodeForm(), **signin_passcode(*_sent()))),
          flashes=(("info", messages.RESENT),)),
        E("another-method", "Try another method", "choices", "signin/another_method.html",
          lambda: _anonymous(error=None, **signin.methods_context(_user(), sms_sent=True))),
        E("another-method-app", "Try another method", "with an authenticator app, no SMS sent yet",
          "signin/another_method.html", lambda: _anonymous(error=None, **signin.methods_context(_with_app(), False))),
        E("another-method-app-cap", "Try another method", "error: SMS cap reached", "signin/another_method.html",
          lambda: _anonymous(error=error_text(refusals.SmsCapReached(3600, refusals.CAP_ACCOUNT_HOUR)),
                             **signin.methods_context(_with_app(), False))),
        E("signin-app", "Authenticator app code", "empty", "signin/authenticator.html",
          lambda: _anonymous(**_form(AppCodeForm()))),
        E("signin-app-wrong", "Authenticator app code", "error: wrong code", "signin/authenticator.html",
          lambda: _anonymous(**_form(AppCodeForm(), refusals.TwoStepError(refusals.TOTP_WRONG)))),
        E("signin-app-used", "Authenticator app code", "error: code already used", "signin/authenticator.html",
          lambda: _anonymous(**_form(AppCodeForm(), refusals.TwoStepError(refusals.TOTP_USED)))),
        E("signin-app-locked", "Authenticator app code", "locked after wrong codes", "signin/authenticator.html",
          lambda: _anonymous(**_form(AppCodeForm(), refusals.Locked(14 * 60)))),
        E("another-method-passkey", "Try another method", "with passkeys (shown where the browser has WebAuthn)",
          "signin/another_method.html",
          lambda: _anonymous(error=None, **signin.methods_context(_with_passkeys(), False))),
        E("signin-passkey", "Passkey", "Use a passkey (the button shows where the browser has WebAuthn)",
          "signin/passkey.html", lambda: _anonymous(**_form(PasskeyForm()))),
        E("signin-passkey-refused", "Passkey", "error: passkey not accepted", "signin/passkey.html",
          lambda: _anonymous(**_form(PasskeyForm(), _passkey_refusal(refusals.PASSKEY_NOT_ACCEPTED)))),
        E("signin-passkey-expired", "Passkey", "error: the request expired (used or too old)", "signin/passkey.html",
          lambda: _anonymous(**_form(PasskeyForm(), _passkey_refusal(refusals.PASSKEY_EXPIRED, 409)))),
        E("signin-passkey-missing", "Passkey", "error: no passkey sent (no WebAuthn)", "signin/passkey.html",
          lambda: _anonymous(**_form(PasskeyForm(), _passkey_refusal(refusals.PASSKEY_MISSING, 400)))),
        E("signin-passkey-too-many", "Passkey", "error: too many tries for this sign-in", "signin/passkey.html",
          lambda: _anonymous(**_form(PasskeyForm(), refusals.TooManyTries()))),
        E("signin-recovery", "Recovery code entry", "empty", "signin/recovery.html",
          lambda: _anonymous(**_form(RecoveryCodeForm()))),
        E("signin-recovery-wrong", "Recovery code entry", "error: wrong code", "signin/recovery.html",
          lambda: _anonymous(**_form(RecoveryCodeForm(), refusals.WrongRecoveryCode()))),
        E("signin-recovery-format", "Recovery code entry", "error: not a recovery code", "signin/recovery.html",
          lambda: _anonymous(**_form(RecoveryCodeForm(), refusals.TwoStepError(refusals.RECOVERY_FORMAT)))),
        E("signin-new-recovery-code", "New recovery code after sign-in", "new code shown",
          "signin/new_recovery_code.html", lambda: _signed_in(**signin.new_recovery_code_context(new_recovery_code()))),
        E("signin-recovery-kept", "New recovery code after sign-in", "tick the box", "signin/recovery_kept.html",
          lambda: _signed_in(**_form(KeptForm()))),
        E("signin-recovery-kept-error", "New recovery code after sign-in", "error: box not ticked",
          "signin/recovery_kept.html", lambda: _signed_in(**_form(KeptForm(), refusals.NotBoxTicked()))),
        # Dashboard and Account
        E("dashboard", "Dashboard", "signed in", "account/dashboard.html", lambda: _signed_in()),
        E("account-not-set-up", "Account", "two-step not set up", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("none")))),
        E("account-on", "Account", "two-step on", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("on"))), flashes=(("info", messages.TWO_STEP_ON),)),
        E("account-on-app", "Account", "two-step on, with an authenticator app", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_with_app())), flashes=(("info", messages.TOTP_ADDED),)),
        E("account-on-passkeys", "Account", "two-step on, with passkeys", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("on"), passkeys=_passkeys())),
          flashes=(("info", messages.PASSKEY_ADDED),)),
        E("account-off-until", "Account", "Off until a date", "account/personal.html",
          lambda: _signed_in(**account.personal_context(
              _user("off", now() + datetime.timedelta(days=p().off_max_days or 7))))),
        E("account-time-zone-saved", "Account", "time zone chosen and saved", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("on", time_zone="America/Los_Angeles"))),
          flashes=(("info", messages.TIME_ZONE_SAVED),)),
        E("account-time-zone-error", "Account", "time zone, error: not in the list", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("on"), tz_error=text(messages.TIME_ZONE_UNKNOWN)))),
        E("account-off", "Account", "Off until Enable", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("off")))),
        E("account-unconfirmed", "Account", "email address not confirmed", "account/personal.html",
          lambda: _signed_in(**{**account.personal_context(_user("none")), "email_unconfirmed": True})),
        E("account-password-changed", "Account", "after Change password (message)", "account/personal.html",
          lambda: _signed_in(**account.personal_context(_user("on"))), flashes=(("info", messages.PASSWORD_CHANGED),)),
        E("change-password", "Change password", "empty", "password/change.html",
          lambda: _signed_in(**_form(ChangePasswordForm(), **password_pages.change_context(_user())))),
        E("change-password-error", "Change password", "error: current password wrong", "password/change.html",
          lambda: _signed_in(**_form(ChangePasswordForm(), AccountError(accounts.CURRENT_PASSWORD_WRONG),
                                     **password_pages.change_context(_user())))),
        E("activity", "Account", "security activity", "account/activity.html",
          lambda: _signed_in(**account.activity_context(_user(), _events()))),
        E("activity-empty", "Account", "security activity, empty", "account/activity.html",
          lambda: _signed_in(**account.activity_context(_user(), []))),
        # Set-up wizard
        E("email-required", "Set-up wizard", "address not confirmed yet", "email/required.html",
          lambda: _signed_in(**email_pages.required_context(_user()))),
        E("email-required-resent", "Set-up wizard", "address not confirmed, link sent again",
          "email/required.html", lambda: _signed_in(**email_pages.required_context(_user())),
          flashes=(("info", messages.CONFIRMATION_SENT),)),
        E("wizard-phone", "Set-up wizard", "STEP 3 phone number, empty", "setup/phone.html",
          lambda: _signed_in(**_form(PhoneForm(), **step("phone")))),
        E("wizard-phone-error", "Set-up wizard", "STEP 3 phone number, error", "setup/phone.html",
          lambda: _signed_in(**_form(_filled(PhoneForm, phone="090-1234"), PhoneRejected(PHONE_INVALID),
                                     **step("phone")))),
        E("wizard-phone-edit", "Set-up wizard", "STEP 3 after Edit (number kept)", "setup/phone.html",
          lambda: _signed_in(**_form(_filled(PhoneForm, phone=show_phone(SAMPLE_PHONE, region="JP")),
                                     **step("phone")))),
        E("wizard-passcode", "Set-up wizard", "STEP 4 passcode just sent", "setup/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), **wizard_passcode(*_sent())))),
        E("wizard-passcode-wrong", "Set-up wizard", "STEP 4 error: wrong code", "setup/passcode.html",
          lambda: _signed_in(**_form(_filled(PasscodeForm, code="000000"), refusals.WrongCode(1),
                                     **wizard_passcode(*_sent(60))))),
        E("wizard-passcode-expired", "Set-up wizard", "STEP 4 expired code", "setup/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.CodeExpired(), **wizard_passcode(*_expired())))),
        E("wizard-passcode-cooldown", "Set-up wizard", "STEP 4 error: resend cooldown", "setup/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.Cooldown(25), **wizard_passcode(*_sent(5))))),
        E("wizard-passcode-locked", "Set-up wizard", "STEP 4 locked", "setup/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.Locked(60), **wizard_passcode(*_sent(60, live=False))))),
        E("wizard-recovery", "Set-up wizard", "STEP 5 recovery code shown", "setup/recovery.html",
          lambda: _signed_in(**setup.recovery_context(new_recovery_code()))),
        E("wizard-recovery-shown", "Set-up wizard", "STEP 5 already shown", "setup/recovery.html",
          lambda: _signed_in(**setup.recovery_context())),
        E("wizard-confirm", "Set-up wizard", "STEP 6 confirmation", "setup/confirm.html",
          lambda: _signed_in(**_form(KeptForm(), **step("confirm")))),
        E("wizard-confirm-error", "Set-up wizard", "STEP 6 error: box not ticked", "setup/confirm.html",
          lambda: _signed_in(**_form(KeptForm(), refusals.NotBoxTicked(), **step("confirm")))),
        # Changes after set-up
        E("off", "Off", "confirm", "settings/off.html",
          lambda: _signed_in(**_form(ButtonForm(), **settings.off_context()))),
        E("off-forever", "Off", "confirm, no time limit", "settings/off.html",
          lambda: _signed_in(**_form(ButtonForm(), **{**settings.off_context(), "off_days": 0}))),
        E("enable", "Enable", "confirm", "settings/enable.html",
          lambda: _signed_in(**_form(ButtonForm(), **settings.enable_context(_user("off"))))),
        E("enable-error", "Enable", "error: SMS cap", "settings/enable.html",
          lambda: _signed_in(**_form(ButtonForm(), refusals.SmsCapReached(3600, refusals.CAP_NUMBER_DAY),
                                     **settings.enable_context(_user("off"))))),
        E("enable-passcode", "Enable", "passcode", "settings/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), **settings.passcode_context("enable", *_sent())))),
        E("authenticator-setup", "Authenticator app", "QR code and key", "settings/authenticator.html",
          lambda: _signed_in(**_form(AppCodeForm(), **settings.authenticator_context(SAMPLE_TOTP_SECRET,
                                                                                     _user().email)))),
        E("authenticator-setup-wrong", "Authenticator app", "error: wrong first code", "settings/authenticator.html",
          lambda: _signed_in(**_form(AppCodeForm(), refusals.TwoStepError(refusals.TOTP_SETUP_WRONG),
                                     **settings.authenticator_context(SAMPLE_TOTP_SECRET, _user().email)))),
        E("authenticator-remove", "Authenticator app", "remove, confirm", "settings/authenticator_remove.html",
          lambda: _signed_in(**_form(ButtonForm()))),
        E("passkey-add", "Passkeys", "add: name (the button shows where the browser has WebAuthn)",
          "settings/passkey_add.html", lambda: _signed_in(**_form(NewPasskeyForm()))),
        E("passkey-add-name", "Passkeys", "add, error: no name", "settings/passkey_add.html",
          lambda: _signed_in(**_form(NewPasskeyForm(), _passkey_refusal(refusals.PASSKEY_NAME)))),
        E("passkey-add-refused", "Passkeys", "add, error: not accepted", "settings/passkey_add.html",
          lambda: _signed_in(**_form(_filled(NewPasskeyForm, name="My phone"),
                                     _passkey_refusal(refusals.PASSKEY_NOT_ACCEPTED)))),
        E("passkey-add-too-many", "Passkeys", "add, error: at most 10", "settings/passkey_add.html",
          lambda: _signed_in(**_form(_filled(NewPasskeyForm, name="My phone"), _passkey_refusal(
              refusals.PASSKEY_TOO_MANY, 409, num=passkeys.MAX_PASSKEYS)))),
        E("passkey-remove", "Passkeys", "remove, confirm", "settings/passkey_remove.html",
          lambda: _signed_in(**_form(ButtonForm(), **settings.passkey_remove_context(_passkeys()[0])))),
        E("unsubscribe", "Unsubscribe", "confirm", "settings/unsubscribe.html",
          lambda: _signed_in(**_form(ButtonForm()))),
        E("new-recovery-code", "New recovery code", "confirm", "settings/new_recovery_code.html",
          lambda: _signed_in(**_form(ButtonForm(), **settings.new_recovery_code_page_context()))),
        E("new-recovery-code-shown", "New recovery code", "new code shown", "settings/new_recovery_code.html",
          lambda: _signed_in(**_form(ButtonForm(), **settings.new_recovery_code_page_context(new_recovery_code())))),
        E("number", "Change number", "empty", "settings/number.html", lambda: _signed_in(**_form(PhoneForm()))),
        E("number-error", "Change number", "error: same number", "settings/number.html",
          lambda: _signed_in(**_form(_filled(PhoneForm, phone="090-1234-5678"),
                                     refusals.TwoStepError(refusals.SAME_NUMBER)))),
        E("number-passcode", "Change number", "passcode to the new number (with Edit)", "settings/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), **settings.passcode_context("change", *_sent())))),
        E("number-passcode-wrong", "Change number", "passcode, error: wrong code", "settings/passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.WrongCode(4),
                                     **settings.passcode_context("change", *_sent(45))))),
        # Step-up before Off, Unsubscribe, a new number, a new recovery code (after "Confirm your password")
        E("step-up", "Step-up", "send a passcode to the current number", "settings/verify.html",
          lambda: _signed_in(**_form(ButtonForm(), **step_up.verify_context(_user())))),
        E("step-up-with-app", "Step-up", "the account has an authenticator app", "settings/verify.html",
          lambda: _signed_in(**_form(ButtonForm(), **step_up.verify_context(_with_app())))),
        E("step-up-app", "Step-up", "authenticator app's code", "settings/verify_authenticator.html",
          lambda: _signed_in(**_form(AppCodeForm()))),
        E("step-up-app-used", "Step-up", "authenticator app, error: code already used",
          "settings/verify_authenticator.html",
          lambda: _signed_in(**_form(AppCodeForm(), refusals.TwoStepError(refusals.TOTP_USED)))),
        E("step-up-with-passkey", "Step-up", "the account has a passkey (shown where the browser has WebAuthn)",
          "settings/verify.html", lambda: _signed_in(**_form(ButtonForm(), **step_up.verify_context(_with_passkeys())))),
        E("step-up-passkey", "Step-up", "passkey", "settings/verify_passkey.html",
          lambda: _signed_in(**_form(PasskeyForm()))),
        E("step-up-passkey-refused", "Step-up", "passkey, error: not accepted", "settings/verify_passkey.html",
          lambda: _signed_in(**_form(PasskeyForm(), _passkey_refusal(refusals.PASSKEY_NOT_ACCEPTED)))),
        E("step-up-error", "Step-up", "error: SMS cap", "settings/verify.html",
          lambda: _signed_in(**_form(ButtonForm(), refusals.SmsCapReached(3600, refusals.CAP_NUMBER_DAY),
                                     **step_up.verify_context(_user())))),
        E("step-up-expired", "Step-up", "passcode step expired, start again", "settings/verify.html",
          lambda: _signed_in(**_form(ButtonForm(), **step_up.verify_context(_user()))),
          flashes=(("error", messages.STEP_EXPIRED),)),
        E("step-up-passcode", "Step-up", "passcode", "settings/verify_passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), **step_up.passcode_context(*_sent())))),
        E("step-up-passcode-wrong", "Step-up", "passcode, error: wrong code", "settings/verify_passcode.html",
          lambda: _signed_in(**_form(_filled(PasscodeForm, code="000000"), refusals.WrongCode(4),
                                     **step_up.passcode_context(*_sent(60))))),
        E("step-up-passcode-cooldown", "Step-up", "error: resend cooldown", "settings/verify_passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.Cooldown(25), **step_up.passcode_context(*_sent(5))))),
        E("step-up-passcode-locked", "Step-up", "locked", "settings/verify_passcode.html",
          lambda: _signed_in(**_form(PasscodeForm(), refusals.Locked(60),
                                     **step_up.passcode_context(*_sent(60, live=False))))),
        E("step-up-recovery", "Step-up", "recovery code (Try another method)", "settings/verify_recovery.html",
          lambda: _signed_in(**_form(RecoveryCodeForm()))),
        E("step-up-recovery-wrong", "Step-up", "recovery code, error: wrong code", "settings/verify_recovery.html",
          lambda: _signed_in(**_form(RecoveryCodeForm(), refusals.WrongRecoveryCode()))),
        E("step-up-new-code", "Step-up", "new recovery code shown, Continue to the change",
          "settings/verify_new_code.html",
          lambda: _signed_in(**step_up.new_code_context(new_recovery_code(), "/two-step/number"))),
        # Errors and development pages
        E("error-400", "Error pages", "400 form expired (CSRF)", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(400, error_pages.CSRF_MESSAGE))),
        E("error-400-files", "Error pages", "400 a file sent in a text field", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(400, error_pages.FILES_MESSAGE))),
        E("error-415", "Error pages", "415 not sent as a form", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(415, error_pages.MESSAGES[415]))),
        E("error-404", "Error pages", "404 not found", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(404, error_pages.MESSAGES[404]))),
        E("error-429", "Error pages", "429 too many attempts", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(429, error_pages.MESSAGES[429]))),
        E("error-500", "Error pages", "500 our side", "errors/error.html",
          lambda: _anonymous(**error_pages.error_context(500, error_pages.UNEXPECTED_MESSAGE, "3f2a9c0d1e4b5a67"))),
        # Help articles
        E("help-index", "Help", "list of articles", "help/index.html", lambda: _anonymous(**help.index_context())),
        E("help-article", "Help", "set-up article, signed out (sign in to vote)", "help/two_step_verification.html",
          lambda: _anonymous(**_article("two-step-verification", helpful=0, total=0))),
        E("help-article-voted", "Help", "set-up article, just answered Yes", "help/two_step_verification.html",
          lambda: _signed_in(**_article("two-step-verification", helpful=3, total=4, mine=True, thanks=True))),
        E("help-code-article", "Help", "code article, not answered", "help/two_step_verification_code.html",
          lambda: _signed_in(**_article("two-step-verification-code", helpful=1, total=1))),
        E("help-code-article-error", "Help", "code article, vote refused", "help/two_step_verification_code.html",
          lambda: _signed_in(**_article("two-step-verification-code", helpful=1, total=2, mine=False,
                                        error=text(messages.RELOAD)))),
        E("help-lost-phone", "Help", "lost phone and recovery code, SUPPORT_CONTACT set", "help/lost_phone_and_recovery_code.html",
          lambda: _anonymous(**_lost_phone("support@example.com"))),
        E("help-lost-phone-no-contact", "Help", "lost phone and recovery code, no SUPPORT_CONTACT",
          "help/lost_phone_and_recovery_code.html", lambda: _anonymous(**_lost_phone(None))),
        E("outbox", "SMS outbox", "a message", "dev/outbox.html", lambda: _anonymous(messages=_outbox())),
        E("outbox-empty", "SMS outbox", "empty", "dev/outbox.html", lambda: _anonymous(messages=[])),
        E("mail", "Mail outbox", "a security e-mail", "dev/mail.html", lambda: _anonymous(messages=_mail())),
        E("mail-reset-link", "Mail outbox", "a \"Forgot password?\" link", "dev/mail.html",
          lambda: _anonymous(messages=_link_mail())),
        E("mail-empty", "Mail outbox", "empty", "dev/mail.html", lambda: _anonymous(messages=[])),
    ]


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
