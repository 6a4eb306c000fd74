"""The help article's "Was this article helpful?" vote in a real browser (moved here from
tests/test_help_browser.py to share the suite's one Chromium, its live server and its checks).

With JavaScript the Yes / No buttons swap the vote block alone (no page load), htmx sends the
pressed button's value and focus stays on the answer; without JavaScript the form posts and
comes back to #helpful. The article passes the checks every page passes (console, CSP, axe,
phone tap targets) on a desktop window and a phone.
"""
import re

from playwright.sync_api import expect


def tally(helpful):
    found = re.search(r"(\d+) out of (\d+) found this helpful", helpful.inner_text())
    return int(found.group(1)), int(found.group(2))


def test_vote(tab, accounts):
    page, js = tab.page, tab.js
    accounts.signup()
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    tab.open("/help/two-step-verification", "How do I set up two-step verification?", "help-article")
    helpful = page.locator("#helpful")
    yes = helpful.get_by_role("button", name="Yes", exact=True)
    no = helpful.get_by_role("button", name="No", exact=True)

    before_yes, before_total = tally(helpful)  # one database for the whole session: others voted too
    yes.click()
    expect(helpful).to_contain_text(f"{before_yes + 1} out of {before_total + 1} found this helpful")
    expect(helpful.get_by_role("status")).to_have_text("Thank you for your feedback.")
    expect(yes).to_have_attribute("aria-pressed", "true")
    if js:
        assert page.evaluate("window.__sameDocument") is True, "the vote reloaded the page"
        assert page.evaluate("document.activeElement.value") == "yes"  # focus stays on the answer
    else:
        expect(page).to_have_url(tab.page.url.split("#")[0] + "#helpful")
    tab.check("help-voted")

    no.click()
    expect(helpful).to_contain_text(f"{before_yes} out of {before_total + 1} found this helpful")
    expect(no).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#helpful")).to_have_count(1)
    if js:
        assert page.evaluate("window.__sameDocument") is True
    tab.assert_no_problems()
