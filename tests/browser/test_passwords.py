"""Passwords and e-mail addresses in a real browser, on a desktop window and a phone, with and without
JavaScript: "Forgot password?" → the link from the mail outbox → a new password → sign-in, which still
asks for the passcode; the "Lost your phone and your recovery code?" help page; Change password; and
two-step set-up waiting for a confirmed address.
"""
import re

import pytest
from playwright.sync_api import expect

NEW_PASSWORD = "a brand new secret"


def test_forgot_password_then_sign_in_still_asks_for_the_passcode(tab, accounts):
    page = tab.page
    accounts.with_two_step("on")
    tab.open("/signin", "Sign in")
    tab.step(lambda: page.get_by_role("link", name="Forgot password?").click(), "/password/forgot",
             "Forgot password?", "forgot", swapped=False)

    # No address: announced and tied to the field.
    tab.step(tab.click("button", "Send the link"), "/password/forgot", "Forgot password?",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("Enter your email address.", "Email")
    tab.check("forgot-error")

    tab.fill("Email", accounts.email)
    tab.step(tab.click("button", "Send the link"), "/password/forgot/sent", "Check your email", "forgot-sent")
    expect(page.locator("#main")).to_contain_text("If an account uses that address")

    # The link, as the owner reads it in the mail outbox (development's mailbox).
    accounts.deliver_mail()  # what the sender thread does a moment later
    tab.open("/dev/mail", "Mail outbox", "mail-reset-link")
    page.locator('#main a[href*="/password/reset?token="]').first.click()
    tab.landed("/password/reset", "Choose a new password", "reset")
    assert "token" not in page.url

    tab.fill("New password", "short")
    tab.step(tab.click("button", "Save the new password"), "/password/reset", "Choose a new password",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("Choose a password of at least 8 characters.", "New password")
    tab.check("reset-error")

    tab.fill("New password", NEW_PASSWORD)
    tab.step(tab.click("button", "Save the new password"), "/signin", "Sign in", "signin-after-reset",
             swapped=False, wait_for=page.get_by_text("Sign in with your new password."))

    # The new password, and still the second step.
    tab.fill("Email", accounts.email)
    tab.fill("Password", NEW_PASSWORD)
    tab.step(tab.click("button", "Sign in"), "/signin/passcode", "Enter the 6-digit passcode")
    lost = page.get_by_role("link", name="Lost your phone and your recovery code?")
    expect(lost).to_be_visible()
    tab.fill("6-digit passcode", accounts.last_code())
    tab.step(tab.click("button", "Continue"), "/dashboard", "Dashboard", swapped=False)

    # The link worked once.
    page.goto("/dev/mail")
    page.locator('#main a[href*="/password/reset?token="]').first.click()
    tab.landed("/password/reset", "This link no longer works", "reset-dead")


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_lost_phone_help_page_and_change_password(tab, accounts):
    page = tab.page
    accounts.with_two_step("on")
    tab.sign_in(accounts)
    tab.step(tab.click("link", "Try another method"), "/signin/another-method", "Try another method")
    tab.step(tab.click("link", "Recovery code"), "/signin/recovery", "Recovery code")
    page.get_by_role("link", name="Lost your phone and your recovery code?").click()
    tab.landed("/help/lost-phone-and-recovery-code", "Lost your phone and your recovery code?", "help-lost-phone")
    expect(page.locator("#main")).to_contain_text("Contact the administrator of beSTREAM.")

    tab.sign_in_with_passcode(accounts)
    tab.step(tab.click("link", "Account"), "/account", "Account")
    tab.step(tab.click("link", "Change password"), "/account/password", "Change password", "change-password")
    tab.fill("Current password", "not my password")
    tab.fill("New password", NEW_PASSWORD)
    tab.step(tab.click("button", "Change password"), "/account/password", "Change password",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("Your current password is not right.", "Current password")
    tab.check("change-password-error")
    tab.fill("Current password", accounts.PASSWORD)
    tab.fill("New password", NEW_PASSWORD)
    tab.step(tab.click("button", "Change password"), "/account", "Account", "password-changed",
             wait_for=page.get_by_text("Your password has been changed."))


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_set_up_waits_for_a_confirmed_address(tab, accounts):
    page = tab.page
    accounts.register()
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    tab.step(tab.click("link", "Account"), "/account", "Account", "account-unconfirmed")
    expect(page.locator("#main")).to_contain_text("Not confirmed")
    tab.step(tab.click("link", "To enable"), "/email/required", "Confirm your email address first",
             "email-required")
    tab.step(tab.click("button", "Send the link again"), "/email/required", "Confirm your email address first",
             wait_for=page.get_by_text("A new link is on its way"))
    page.goto(accounts.mail_link("/email/confirm"))
    tab.landed("/email/confirm", "Confirm your email address")
    tab.step(tab.click("button", "Confirm"), "/account", "Account",
             wait_for=page.get_by_text("Your email address is confirmed."))
    tab.step(tab.click("link", "To enable"), "/two-step/phone", "Enter your phone number")
