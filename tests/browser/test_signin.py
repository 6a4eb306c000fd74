"""Signing in with two-step verification on, in a real browser: with the SMS
passcode, and with the recovery code ("Try another method" → "Recovery code").

Runs on a desktop window and a phone, with and without JavaScript.
"""
import re

from playwright.sync_api import expect

from .support import wrong

PASSCODE = "Enter the 6-digit passcode"
KEPT = "I kept this number in a safe place"


def test_signin_with_sms_passcode(tab, accounts, clock):
    page, js = tab.page, tab.js
    accounts.with_two_step("on")

    # A wrong password: the same words for an unknown email, announced and tied to the fields.
    tab.sign_in(accounts, password="not the password", to="/signin", heading="Sign in")
    tab.assert_error_announced("The email or password is not right.", "Password")
    tab.check("signin-error")

    tab.fill("Email", accounts.email)
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Sign in"), "/signin/passcode", PASSCODE)
    expect(page.locator("#main")).to_contain_text("We sent a 6-digit passcode by SMS to +81 ••••••••")
    tab.check("signin-passcode")
    if js:
        tab.assert_countdowns(clock, "/signin/passcode")

    code = accounts.last_code()
    tab.fill("6-digit passcode", wrong(code))
    tab.step(tab.click("button", "Continue"), "/signin/passcode", PASSCODE, wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That passcode is not right.", "6-digit passcode")
    tab.check("signin-passcode-error")

    tab.fill("6-digit passcode", code)
    tab.step(tab.click("button", "Continue"), "/dashboard", "Dashboard", "dashboard", swapped=False)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    if js:
        # The back button to the used passcode screen: already signed in, so the Dashboard again.
        # (Without JavaScript the entry before is the refused POST, which browsers offer to resend.)
        page.go_back()
        tab.landed("/dashboard", "Dashboard")
        expect(page.get_by_role("alert")).to_have_count(0)


def test_signin_with_recovery_code(tab, accounts):
    page, js = tab.page, tab.js
    accounts.with_two_step("on")
    old_code = accounts.recovery_code

    tab.sign_in(accounts)
    tab.step(tab.click("link", "Try another method"), "/signin/another-method", "Try another method",
             "another-method")
    tab.step(tab.click("link", "Recovery code"), "/signin/recovery", "Recovery code", "recovery")
    if js:
        # Back and forward between the steps of "Try another method".
        tab.back("/signin/another-method", "Try another method")
        page.go_forward()
        tab.landed("/signin/recovery", "Recovery code")

    tab.fill("Recovery code", "ABCD-EFGH-JKMN-PQRS")
    tab.step(tab.click("button", "Continue"), "/signin/recovery", "Recovery code", wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That recovery code is not right.", "Recovery code")
    tab.check("recovery-error")

    tab.fill("Recovery code", old_code.lower().replace("-", " "))  # typed loosely, as people do
    tab.step(tab.click("button", "Continue"), "/signin/recovery", "Your new recovery code")
    header = page.locator(".site-header")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()  # signed in: the header says so
    expect(header.get_by_role("link", name="Sign in")).to_have_count(0)
    new_code = page.locator("#recovery-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", new_code) and new_code != old_code
    if js:
        page.get_by_role("button", name="Copy Code").click()
        expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
            "Copied the recovery code to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == new_code
    else:
        expect(page.get_by_role("button", name="Copy Code")).to_be_hidden()
    tab.check("new-recovery-code")

    tab.step(tab.click("link", "Continue"), "/signin/recovery/kept", "Keep your recovery code safe", "kept")
    tab.step(tab.click("button", "Continue"), "/signin/recovery/kept", "Keep your recovery code safe",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("to continue", KEPT, invalid=False)
    tab.check("kept-error")
    page.get_by_label(KEPT).check()
    tab.step(tab.click("button", "Continue"), "/dashboard", "Dashboard", "dashboard", swapped=False)
