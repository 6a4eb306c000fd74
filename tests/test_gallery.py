"""The design gallery (/dev/gallery): every entry renders as a page and as the htmx fragment,
each shows the labels of its state, and the gallery is not served outside debug and tests."""
import re

import pytest

from conftest import make_test_app

# What a person sees in each state: the help article's labels and the state's own message.
LABELS = {
    "signup": ["Create your account", "Create account"],
    "signup-error": ["Choose a password of at least 8 characters."],
    "signup-sent": ["Check your email", "confirm your address", "If you already had an account"],
    "signup-sent-no-verification": ["Check your email", "you can sign in now"],
    "confirm-email": ["Confirm your email address", "ann@example.com", "Confirm"],
    "confirm-email-dead": ["This link no longer works", "Ask for a new one."],
    "signin": ["Sign in", "Email", "Password"],
    "signin-error": ["The email or password is not right."],
    "signin-signed-out": ["You have signed out."],
    "signin-throttled": ["Too many wrong passwords for this email address. Try again in 4 minutes."],
    "signin-expired": ["Your sign-in has expired."],
    "signin-email-confirmed": ["Your email address is confirmed."],
    "signin-password-reset": ["Sign in with your new password."],
    "signin-new-password-needed": ["An administrator reset your account", "Forgot password?"],
    "forgot": ["Forgot password?", "Send the link", "Back to sign in"],
    "forgot-error": ["Enter your email address."],
    "forgot-sent": ["Check your email", "If an account uses that address", "30 minutes"],
    "reset": ["Choose a new password", "New password", "Save the new password", "still asks for it"],
    "reset-error": ["Choose a password of at least 8 characters."],
    "reset-dead": ["This link no longer works", "Ask for a new link"],
    "reauth": ["Confirm it is you", "Continue"],
    "reauth-error": ["That password is not right."],
    "signin-passcode": ["Enter the 6-digit passcode", "Continue", "Resend", "Try another method",
                        "You can resend in", "5:00"],
    "signin-passcode-ready": ["Resend", "3:05"],
    "signin-passcode-wrong": ["That passcode is not right. 3 tries left"],
    "signin-passcode-expired": ["This passcode has expired.", "No valid passcode right now"],
    "signin-passcode-voided": ["This passcode no longer works."],
    "signin-passcode-cooldown": ["You can resend in 12 seconds."],
    "signin-passcode-locked": ["locked for 14 more minutes"],
    "signin-passcode-locked-until-recovery": ["until the recovery code is used", "Try another method"],
    "signin-passcode-too-many": ["Too many wrong codes for this sign-in. Please start again."],
    "signin-passcode-cap": ["You have asked for too many passcodes."],
    "signin-passcode-send-failed": ["We could not send the SMS."],
    "signin-passcode-resent": ["A new passcode has been sent."],
    "another-method": ["Try another method", "Recovery code", "SMS passcode"],
    "another-method-app": ["Recovery code", "SMS passcode", "Send a 6-digit passcode by SMS to", "Authenticator app"],
    "another-method-app-cap": ["You have asked for too many passcodes.", "Authenticator app"],
    "signin-app": ["Enter the code from your authenticator app", "6-digit code", "Continue", "Try another method"],
    "signin-app-wrong": ["That code is not right."],
    "signin-app-used": ["That code was already used."],
    "signin-app-locked": ["locked for 14 more minutes"],
    "another-method-passkey": ["Passkey", "fingerprint, face or screen lock", "SMS passcode", "Recovery code"],
    "signin-passkey": ["Use a passkey", "This browser cannot use a passkey here.", "Try another method"],
    "signin-passkey-refused": ["That passkey was not accepted."],
    "signin-passkey-expired": ["This passkey request has expired."],
    "signin-passkey-missing": ["Your browser did not send a passkey."],
    "signin-passkey-too-many": ["Too many wrong codes for this sign-in."],
    "signin-recovery": ["Recovery code", "Continue", "Try another method"],
    "signin-recovery-wrong": ["That recovery code is not right."],
    "signin-recovery-format": ["Enter the 16-character recovery code"],
    "signin-new-recovery-code": ["Your new recovery code", "Copy Code", "Continue"],
    "signin-recovery-kept": ["I kept this number in a safe place", "Continue"],
    "signin-recovery-kept-error": ["Tick \u201cI kept this number in a safe place\u201d to continue."],
    "dashboard": ["Dashboard", "Account", "Welcome, Ann Example."],
    "account-not-set-up": ["Personal information", "Two-step verification", "To enable"],
    "account-on": ["On", "Off", "Unsubscribe", "+81 ••••••••78", "Two-step verification is on."],
    "account-on-app": ["Authenticator app", "Added", "Remove", "Authenticator app added."],
    "account-on-passkeys": ["Passkeys", "Pixel 9", "Work laptop", "Last used", "Not used yet.", "Add a passkey",
                            "Passkey added."],
    "account-off-until": ["Enable", "Unsubscribe", "Turned off until", "JST;", "Time zone",
                          "Times on these pages and in our e-mails are shown in Japan Time."],
    "account-time-zone-saved": ["Your time zone has been saved.", "shown in United States (Los Angeles) Time",
                                "Save", "The site's time zone (Japan Time)"],
    "account-time-zone-error": ["Choose a time zone from the list."],
    "account-off": ["Enable", "Turned off until you enable it again."],
    "account-unconfirmed": ["Not confirmed", "Send the link again", "Change password"],
    "account-password-changed": ["Your password has been changed. Your other sessions were signed out."],
    "change-password": ["Change password", "Current password", "New password"],
    "change-password-error": ["Your current password is not right."],
    "activity": ["Security activity", "New recovery code issued", "Phone number changed", "to +81 ••••••••78"],
    "activity-empty": ["No activity yet."],
    "email-required": ["Confirm your email address first", "ann@example.com", "Send the link again"],
    "email-required-resent": ["A new link is on its way"],
    "wizard-phone": ["Step 1 of 4", "Enter your phone number", "Continue"],
    "wizard-phone-error": ["That phone number is not valid."],
    "wizard-phone-edit": ["090-1234-5678"],
    "wizard-passcode": ["Step 2 of 4", "Edit", "Resend", "Continue"],
    "wizard-passcode-wrong": ["1 try left before it stops working."],
    "wizard-passcode-expired": ["This passcode has expired."],
    "wizard-passcode-cooldown": ["You can resend in 25 seconds."],
    "wizard-passcode-locked": ["locked for 1 more minute."],
    "wizard-recovery": ["Step 3 of 4", "Copy Code", "Try another method", "Continue"],
    "wizard-recovery-shown": ["already been shown", "Show a new code"],
    "wizard-confirm": ["Step 4 of 4", "I kept this number in a safe place", "Continue"],
    "wizard-confirm-error": ["Tick \u201cI kept this number in a safe place\u201d to continue."],
    "off": ["Off", "for 7 days", "Enable"],
    "off-forever": ["Off", "Sign-in will stop asking for a passcode."],
    "enable": ["Enable", "+81 ••••••••78"],
    "enable-error": ["Too many passcodes were sent to this number today."],
    "enable-passcode": ["Enable two-step verification", "Resend", "Continue"],
    "authenticator-setup": ["Add an authenticator app", "Scan this QR code", "JBSW Y3DP EHPK 3PXP", "6-digit code",
                            "Continue", "Cancel"],
    "authenticator-setup-wrong": ["That code is not right. Check that the time on your phone"],
    "authenticator-remove": ["Remove the authenticator app", "Remove", "Cancel"],
    "passkey-add": ["Add a passkey", "Passkey name", "Create the passkey", "Cancel"],
    "passkey-add-name": ["Give the passkey a name of up to 60 characters"],
    "passkey-add-refused": ["That passkey was not accepted.", "My phone"],
    "passkey-add-too-many": ["An account can have at most 10 passkeys."],
    "passkey-remove": ["Remove a passkey", "Pixel 9", "Remove", "Cancel"],
    "unsubscribe": ["Unsubscribe", "To enable"],
    "new-recovery-code": ["Get a new recovery code"],
    "new-recovery-code-shown": ["Copy Code", "Your old recovery code no longer works."],
    "number": ["Change your phone number", "Continue"],
    "number-error": ["That is already your number."],
    "number-passcode": ["Confirm your new phone number", "Edit", "Resend"],
    "number-passcode-wrong": ["4 tries left"],
    "step-up": ["Confirm it is you", "This change needs a passcode too.", "+81 ••••••••78", "Send passcode",
                "Try another method", "Cancel"],
    "step-up-with-app": ["Confirm it is you", "Send passcode", "Use your authenticator app instead", "Try another method"],
    "step-up-app": ["Confirm it is you", "6-digit code", "Continue", "SMS passcode"],
    "step-up-app-used": ["That code was already used."],
    "step-up-with-passkey": ["Confirm it is you", "Use a passkey instead", "Send passcode"],
    "step-up-passkey": ["Confirm it is you", "Use a passkey", "Try another method"],
    "step-up-passkey-refused": ["That passkey was not accepted."],
    "step-up-error": ["Too many passcodes were sent to this number today."],
    "step-up-expired": ["That step has expired. Please start again."],
    "step-up-passcode": ["Confirm it is you", "Continue", "Resend", "Try another method", "5:00"],
    "step-up-passcode-wrong": ["4 tries left"],
    "step-up-passcode-cooldown": ["You can resend in 25 seconds."],
    "step-up-passcode-locked": ["locked"],
    "step-up-recovery": ["Recovery code", "Continue", "SMS passcode"],
    "step-up-recovery-wrong": ["That recovery code is not right."],
    "step-up-new-code": ["Your new recovery code", "Copy Code", "Continue"],
    "error-400": ["This form has expired"],
    "error-400-files": ["This form takes text only."],
    "error-415": ["This page takes a form sent from its own page."],
    "error-404": ["This page does not exist."],
    "error-429": ["Too many attempts."],
    "error-500": ["Something went wrong on our side."],
    "help-index": ["Help", "How do I set up two-step verification?", "Two-step verification code"],
    "help-article": ["STEP 1", "In the \"Dashboard\" open the \"Account\" page.", "Copy Code",
                     "Was this article helpful?", "Sign in to vote.", "0 out of 0 found this helpful"],
    "help-article-voted": ["Yes", "No", "Thank you for your feedback.", "You answered Yes.",
                           "3 out of 4 found this helpful"],
    "help-code-article": ["Two-step verification code", "@localhost #123456", "5 minutes", "30 seconds",
                          "Try another method", "1 out of 1 found this helpful"],
    "help-code-article-error": ["Reload the page and try again.", "You answered No."],
    "help-lost-phone": ["Lost your phone and your recovery code?", "support@example.com", "one-time link"],
    "help-lost-phone-no-contact": ["Contact the administrator of beSTREAM."],
    "outbox": ["SMS outbox", "your passcode is 123456", "@localhost #123456"],
    "outbox-empty": ["No messages yet."],
    "mail": ["Mail outbox", "beSTREAM: Two-step verification is on", "Browser: Chrome on Windows",
             "Passcodes go to: +81 ••••••••78"],
    "mail-reset-link": ["Reset your password", "https://example.com/password/reset?token=sample-token"],
    "mail-empty": ["No messages yet."],
}


def _entries(app):
    from views.gallery import entries

    with app.test_request_context():
        return entries()


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'")


def test_every_entry_has_its_expected_labels_listed(app):
    assert list(_entries(app)) == list(LABELS)


def test_every_entry_renders_as_a_page_and_as_a_fragment(app, client):
    for slug, labels in LABELS.items():
        page = client.get(f"/dev/gallery/{slug}")
        assert page.status_code == 200, slug
        html = page.get_data(as_text=True)
        assert html.startswith("<!doctype html>") and '<main id="main"' in html, slug
        for label in labels:
            assert label in _text(html), (slug, label)

        for fragment in (client.get(f"/dev/gallery/{slug}?fragment=1"), client.get(f"/dev/gallery/{slug}", htmx=True)):
            assert fragment.status_code == 200, slug
            body = fragment.get_data(as_text=True)
            # Only the block htmx swaps into #main: no layout around it.
            assert "<html" not in body and "<header" not in body and '<main id="main"' not in body, slug
            assert "<h1" in body, slug
            assert "HX-Request" in fragment.headers["Vary"]
            for label in labels:
                assert label in _text(body), (slug, label)


def test_index_links_every_entry_both_ways_and_the_outbox(app, client):
    html = client.get("/dev/gallery").get_data(as_text=True)
    for slug in LABELS:
        assert f'href="/dev/gallery/{slug}"' in html
        assert f'href="/dev/gallery/{slug}?fragment=1"' in html
    assert 'href="/dev/outbox"' in html
    assert 'href="/dev/gallery"' in client.get("/dev/outbox").get_data(as_text=True)
    assert client.get("/dev/gallery/no-such-entry").status_code == 404


def test_gallery_writes_nothing(app, client):
    from models import SecurityEvent, User, db

    for slug in LABELS:
        client.get(f"/dev/gallery/{slug}")
    with db.connection_context():
        assert User.select().count() == 0 and SecurityEvent.select().count() == 0


def test_gallery_and_outbox_are_not_served_in_production(tmp_path):
    app = make_test_app(tmp_path, TESTING=False, DEBUG=False, SMS_OUTBOX_IN_PRODUCTION=True)
    client = app.test_client()
    assert client.get("/dev/gallery").status_code == 404
    assert client.get("/dev/gallery/signin").status_code == 404
    assert client.get("/dev/outbox").status_code == 404
