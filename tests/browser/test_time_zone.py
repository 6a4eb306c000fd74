"""Choosing a time zone on the Account page, in a real browser (desktop and phone, with and without
JavaScript): the choice is saved, and the Security activity shows its times in that zone."""
import re

from playwright.sync_api import expect


def test_choosing_a_time_zone(tab, accounts):
    page = tab.page
    accounts.signup()
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    tab.step(tab.click("link", "Account"), "/account", "Account")
    expect(page.locator("#main")).to_contain_text("Times on these pages and in our e-mails are shown in Japan Time.")
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value("")

    page.get_by_role("combobox", name="Time zone").select_option("America/Los_Angeles")
    tab.step(tab.click("button", "Save"), "/account", "Account", "account-time-zone-saved",
             wait_for=page.get_by_text("Your time zone has been saved."))
    expect(page.locator("#main")).to_contain_text("shown in United States (Los Angeles) Time.")
    expect(page.get_by_role("combobox", name="Time zone")).to_have_value("America/Los_Angeles")

    tab.step(tab.click("link", "Security activity"), "/account/activity", "Account",
             wait_for=page.get_by_role("table"))
    times = page.locator("tbody tr td:first-child").all_inner_texts()
    assert times and all(re.search(r"\d\d:\d\d P[SD]T$", t.strip()) for t in times), times
