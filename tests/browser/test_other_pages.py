"""The pages the journeys do not pass through, each checked once like every other page
(console, CSP, axe, phone tap targets and width, a screenshot): Security activity, Change
number and its passcode, New recovery code, Help, and an error page.

JavaScript on only: without it the same HTML is served, and axe cannot run.
"""
import re

import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize("javascript", [True], ids=["js"])
def test_other_pages(tab, accounts):
    page = tab.page
    accounts.with_two_step("on")
    tab.sign_in_with_passcode(accounts)
    tab.step(tab.click("link", "Account"), "/account", "Account")
    tab.step(tab.click("link", "Security activity"), "/account/activity", "Account", "activity",
             wait_for=page.get_by_role("table"))

    tab.open("/account", "Account")
    tab.step(tab.click("link", "Change number"), "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you")
    tab.step(tab.click("button", "Send passcode"), "/two-step/verify/passcode", "Confirm it is you")
    tab.fill("6-digit passcode", accounts.last_code())
    tab.step(tab.click("button", "Continue"), "/two-step/number", "Change your phone number", "number")
    tab.fill("Phone number", "090-9999-" + accounts.phone[-4:])
    tab.step(tab.click("button", "Continue"), "/two-step/change/passcode", "Confirm your new phone number",
             "number-passcode")

    tab.open("/account", "Account")
    tab.step(tab.click("link", "New recovery code"), "/two-step/recovery-code", "New recovery code",
             "new-recovery-code")
    tab.step(tab.click("button", "Get a new recovery code"), "/two-step/recovery-code", "New recovery code",
             wait_for=page.locator("#recovery-code"))
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", page.locator("#recovery-code").inner_text().strip())
    tab.check("new-recovery-code-shown")

    tab.open("/help", "Help", "help")
    tab.step(lambda: page.locator("#main a").nth(1).click(), "/help/two-step-verification-code",
             re.compile(r"."), "help-article-2")

    page.goto("/no-such-page")
    expect(tab.heading()).to_have_text("Sorry")
    expect(page.get_by_role("alert")).to_have_text("This page does not exist.")
    tab.assert_error_announced("This page does not exist.")
    tab.check("not-found")
