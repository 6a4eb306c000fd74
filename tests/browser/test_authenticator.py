"""The authenticator app in a real browser: add it from the Account page (QR code and key),
sign in with its code, "Try another method" with every method the account has, remove it.

Runs on a desktop window and a phone, with and without JavaScript (a person
without JavaScript sets up and uses the app end to end). Codes come from
pyotp at a moment frozen with the suite's clock.
"""
import datetime

import pyotp
from playwright.sync_api import expect

SETUP = "Add an authenticator app"
APP_CODE = "Enter the code from your authenticator app"


def app_code(secret, moment):
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=datetime.timezone.utc))


def step_up(tab, accounts, action, path, heading):
    """The step-up every change of two-step settings needs: the password again, then an SMS passcode."""
    tab.step(action, "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you")
    tab.step(tab.click("button", "Send passcode"), "/two-step/verify/passcode", "Confirm it is you")
    tab.fill("6-digit passcode", accounts.last_code())
    tab.step(tab.click("button", "Continue"), path, heading)


def test_authenticator_app_set_up_sign_in_and_removal(tab, accounts, clock):
    page, js = tab.page, tab.js
    accounts.with_two_step("on")
    tab.sign_in_with_passcode(accounts)
    # 10 s into a 30-second step, so the codes around it are unambiguous.
    start = clock.now().replace(microsecond=0)
    clock.freeze(start - datetime.timedelta(seconds=start.second % 30) + datetime.timedelta(seconds=10))

    tab.open("/account", "Account")
    step_up(tab, accounts, tab.click("link", SETUP), "/two-step/authenticator", SETUP)
    tab.check("authenticator-setup", readme="authenticator-setup")
    qr = page.locator("#main svg.qr-code")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and abs(box["width"] - box["height"]) < 1  # square and big enough to scan
    secret = page.locator("#totp-key").inner_text().replace(" ", "").strip()
    assert len(secret) == 32

    right = app_code(secret, clock.now())
    tab.fill("6-digit code", f"{(int(right) + 1) % 10**6:06d}")
    tab.step(tab.click("button", "Continue"), "/two-step/authenticator", SETUP, wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That code is not right.", "6-digit code")
    tab.check("authenticator-setup-wrong")
    assert page.locator("#totp-key").inner_text().replace(" ", "").strip() == secret  # the same key to retry

    tab.fill("6-digit code", right)
    tab.step(tab.click("button", "Continue"), "/account", "Account", "account-with-app")
    expect(page.get_by_role("status")).to_contain_text("Authenticator app added.")
    expect(page.locator("#main")).to_contain_text("Authenticator app")

    # Signing in again opens on the app (used last), and sends no SMS.
    sent = len(accounts.messages())
    tab.step(lambda: page.get_by_role("button", name="Sign out").click(), "/signin", "Sign in", swapped=False)
    tab.open("/signin", "Sign in")
    tab.fill("Email", accounts.email)
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Sign in"), "/signin/authenticator", APP_CODE)
    tab.check("signin-app", readme="authenticator-signin")
    assert len(accounts.messages()) == sent

    # "Try another method" lists exactly what the account has (no passkeys here), and comes back.
    tab.step(tab.click("link", "Try another method"), "/signin/another-method", "Try another method",
             "another-method-app")
    choices = page.locator("#main .choices > li")
    expect(choices).to_have_count(3)
    expect(page.get_by_role("link", name="Recovery code")).to_be_visible()
    expect(page.get_by_role("button", name="SMS passcode")).to_be_visible()
    expect(page.get_by_text("Passkey")).to_have_count(0)
    tab.step(tab.click("link", "Authenticator app"), "/signin/authenticator", APP_CODE)

    clock.advance(30)  # the set-up used the last step's code: a code works once
    tab.fill("6-digit code", app_code(secret, clock.now()))
    tab.step(tab.click("button", "Continue"), "/dashboard", "Dashboard", "dashboard", swapped=False)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Removing it: the Account page offers to add one again.
    tab.open("/account", "Account")
    # The step-up takes the app's code too (the SMS passcode remains offered).
    tab.step(tab.click("link", "Remove"), "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you", "step-up-with-app")
    tab.step(tab.click("link", "Use your authenticator app instead"), "/two-step/verify/authenticator",
             "Confirm it is you", "step-up-app")
    clock.advance(30)
    tab.fill("6-digit code", app_code(secret, clock.now()))
    tab.step(tab.click("button", "Continue"), "/two-step/authenticator/remove", "Remove the authenticator app",
             "authenticator-remove")
    tab.step(tab.click("button", "Remove"), "/account", "Account")
    expect(page.get_by_role("status")).to_contain_text("Authenticator app removed.")
    expect(page.get_by_role("link", name=SETUP)).to_be_visible()
