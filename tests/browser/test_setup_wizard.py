"""The set-up wizard end to end in a real browser, as the help article walks it:
sign up (and confirm the address with the link from the mail outbox), Dashboard → Account → "To enable" → phone number → passcode →
recovery code ("Copy Code") → "I kept this number in a safe place" → on.

Runs on a desktop window and a phone, with and without JavaScript.
"""
import re

from playwright.sync_api import expect

from .support import wrong

KEPT = "I kept this number in a safe place"


def test_setup_wizard(tab, accounts, clock):
    page, js = tab.page, tab.js
    tab.open("/signup", "Create your account", "signup")
    tab.fill("Name", accounts.name)
    tab.fill("Email", accounts.email)
    tab.fill("Password", accounts.PASSWORD)
    # One answer for every address: the details come by e-mail (the mail outbox in development).
    tab.step(tab.click("button", "Create account"), "/signup/sent", "Check your email", "signup-sent")
    accounts.deliver_mail()  # what the sender thread does a moment later
    tab.open("/dev/mail", "Mail outbox")
    page.locator('#main a[href*="/email/confirm?token="]').first.click()
    tab.landed("/email/confirm", "Confirm your email address", "confirm-email")
    expect(page.locator("#main")).to_contain_text(accounts.email)
    tab.step(tab.click("button", "Confirm"), "/signin", "Sign in",
             wait_for=page.get_by_text("Your email address is confirmed."))
    tab.fill("Email", accounts.email)
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Sign in"), "/dashboard", "Dashboard", "dashboard", swapped=False)

    tab.step(tab.click("link", "Account"), "/account", "Account", "account-before")
    tab.step(tab.click("link", "To enable"), "/two-step/phone", "Enter your phone number", "phone")

    # An empty number: the error is announced and tied to the field.
    tab.step(tab.click("button", "Continue"), "/two-step/phone", "Enter your phone number",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("Enter your phone number.", "Phone number")
    tab.check("phone-error")

    tab.fill("Phone number", accounts.phone)
    tab.step(tab.click("button", "Continue"), "/two-step/passcode", "Enter the 6-digit passcode")
    expect(page.locator("#main")).to_contain_text("+81 ••••••••")
    expect(page.locator("#main")).not_to_contain_text(accounts.phone)
    tab.check("passcode", readme="passcode")

    if js:
        tab.assert_countdowns(clock, "/two-step/passcode")
        # The back button goes to the phone step (number kept for "Edit"), forward returns.
        tab.back("/two-step/phone", "Enter your phone number")
        expect(page.get_by_label("Phone number", exact=True)).to_have_value(accounts.phone)
        page.go_forward()
        tab.landed("/two-step/passcode", "Enter the 6-digit passcode")
        expect(page.get_by_role("button", name="Resend")).to_be_visible()
    else:
        expect(page.locator("#main")).to_contain_text(re.compile(r"The passcode expires in (5:00|4:5\d)\."))
        expect(page.locator("#main")).to_contain_text(re.compile(r"You can resend in (30|29|28) seconds\."))

    code = accounts.last_code()  # after any Resend: only the newest passcode works
    # A wrong passcode: announced, and the field says why.
    tab.fill("6-digit passcode", wrong(code))
    tab.step(tab.click("button", "Continue"), "/two-step/passcode", "Enter the 6-digit passcode",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That passcode is not right.", "6-digit passcode")
    tab.check("passcode-error")

    tab.fill("6-digit passcode", code)
    tab.step(tab.click("button", "Continue"), "/two-step/recovery", "Your recovery code")
    recovery = page.locator("#recovery-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", recovery)
    copy = page.get_by_role("button", name="Copy Code")
    if js:
        copy.click()
        expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
            "Copied the recovery code to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == recovery
    else:
        expect(copy).to_be_hidden()  # needs JavaScript; the code can still be selected or downloaded
        expect(page.get_by_role("link", name="Download as .txt")).to_be_visible()
    tab.check("recovery-code", readme="recovery-code")

    tab.step(tab.click("link", "Continue"), "/two-step/confirm", "Keep your recovery code safe", "confirm")

    # Back to the recovery code: it was shown once and is not shown again.
    tab.step(tab.click("link", "Back to the recovery code"), "/two-step/recovery", "Your recovery code",
             wait_for=page.get_by_text("already been shown"))
    expect(page.locator("#main")).not_to_contain_text(recovery)
    tab.check("recovery-already-shown")
    tab.step(tab.click("link", "Continue"), "/two-step/confirm", "Keep your recovery code safe")

    # Continue without the box ticked: announced, and tied to the checkbox.
    tab.step(tab.click("button", "Continue"), "/two-step/confirm", "Keep your recovery code safe",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("to continue", KEPT, invalid=False)
    tab.check("confirm-error")

    page.get_by_label(KEPT).check()
    tab.step(tab.click("button", "Continue"), "/account", "Account",
             wait_for=page.get_by_text("Two-step verification is on."))
    expect(page.locator(".badge.on")).to_have_text("On")
    tab.check("account-on", readme="account")

    if js:
        # Back into the finished wizard: the recovery code is not shown again.
        page.go_back()
        expect(tab.heading()).to_have_text("Account")
        expect(page.locator("#recovery-code")).to_have_count(0)
        tab.assert_no_problems()

