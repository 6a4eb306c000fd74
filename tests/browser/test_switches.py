"""Off, Enable and Unsubscribe from the Account page, in a real browser, with the step-up they need
(the password again, then a passcode to the number or the recovery code).

Runs on a desktop window and a phone, with and without JavaScript.
"""
import re

from playwright.sync_api import expect

from .support import wrong

ACCOUNT = "/account"


def test_off(tab, accounts):
    page = tab.page
    accounts.with_two_step("on")
    tab.sign_in_with_passcode(accounts)
    tab.step(tab.click("link", "Account"), ACCOUNT, "Account")
    # Signing in does not count: the password again, then a passcode sent to the number.
    tab.step(tab.click("link", "Off"), "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you", "step-up")
    expect(page.locator("#main")).to_contain_text("This change needs a passcode too.")
    tab.step(tab.click("button", "Send passcode"), "/two-step/verify/passcode", "Confirm it is you",
             "step-up-passcode")
    code = accounts.last_code()
    tab.fill("6-digit passcode", wrong(code))
    tab.step(tab.click("button", "Continue"), "/two-step/verify/passcode", "Confirm it is you",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That passcode is not right.", "6-digit passcode")
    tab.fill("6-digit passcode", code)
    tab.step(tab.click("button", "Continue"), "/two-step/off", "Turn two-step verification off for a while", "off")
    tab.step(tab.click("button", "Off"), ACCOUNT, "Account",
             wait_for=page.get_by_text(re.compile(r"Two-step verification is off until")))
    expect(page.locator(".badge.off")).to_have_text("Off")
    expect(page.get_by_role("link", name="Enable")).to_be_visible()
    tab.check("account-off")

    # Signing in again asks for the password only.
    sent = len(accounts.messages())
    tab.step(lambda: page.get_by_role("button", name="Sign out").click(), "/signin", "Sign in", swapped=False)
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    assert len(accounts.messages()) == sent


def test_enable(tab, accounts):
    page = tab.page
    accounts.with_two_step("off")
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    tab.step(tab.click("link", "Account"), ACCOUNT, "Account")
    expect(page.locator(".badge.off")).to_have_text("Off")
    # Enable needs the password again (signing in does not count), not a passcode first: it sends one.
    tab.step(tab.click("link", "Enable"), "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/enable", "Enable two-step verification", "enable")
    tab.step(tab.click("button", "Enable"), "/two-step/enable/passcode", "Enable two-step verification")
    expect(page.locator("#main")).to_contain_text("We sent a 6-digit passcode by SMS to +81 ••••••••")
    tab.check("enable-passcode")

    code = accounts.last_code()
    tab.fill("6-digit passcode", wrong(code))
    tab.step(tab.click("button", "Continue"), "/two-step/enable/passcode", "Enable two-step verification",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That passcode is not right.", "6-digit passcode")
    tab.check("enable-passcode-error")

    tab.fill("6-digit passcode", code)
    tab.step(tab.click("button", "Continue"), ACCOUNT, "Account",
             wait_for=page.get_by_text("Two-step verification is on again."))
    expect(page.locator(".badge.on")).to_have_text("On")
    tab.check("account-on-again")


def test_unsubscribe(tab, accounts, clock):
    page = tab.page
    accounts.with_two_step("on")
    tab.sign_in_with_passcode(accounts)
    tab.step(tab.click("link", "Account"), ACCOUNT, "Account")

    # The password was typed more than REAUTH_MINUTES ago: confirm it first.
    clock.advance(11 * 60)
    tab.step(tab.click("link", "Unsubscribe"), "/reauth", "Confirm it is you", "reauth")
    tab.fill("Password", "not the password")
    tab.step(tab.click("button", "Continue"), "/reauth", "Confirm it is you", wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That password is not right.", "Password")
    tab.check("reauth-error")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you")

    # No phone at hand: "Try another method", the recovery code, which is replaced at once.
    tab.step(tab.click("link", "Try another method"), "/two-step/verify/recovery", "Recovery code", "step-up-recovery")
    tab.fill("Recovery code", "AAAA-BBBB-CCCC-DDDD")
    tab.step(tab.click("button", "Continue"), "/two-step/verify/recovery", "Recovery code",
             wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That recovery code is not right.", "Recovery code")
    tab.fill("Recovery code", accounts.recovery_code)
    tab.step(tab.click("button", "Continue"), "/two-step/verify/recovery", "Your new recovery code",
             "step-up-new-code", wait_for=page.locator("#recovery-code"))
    assert page.locator("#recovery-code").inner_text().strip() != accounts.recovery_code
    tab.step(tab.click("link", "Continue"), "/two-step/unsubscribe", "Unsubscribe from two-step verification",
             "unsubscribe")

    tab.step(tab.click("button", "Unsubscribe"), ACCOUNT, "Account",
             wait_for=page.get_by_text("Two-step verification has been removed."))
    expect(page.get_by_role("link", name="To enable")).to_be_visible()
    expect(page.locator("#main")).not_to_contain_text("••••")
    tab.check("account-unsubscribed")
