"""The language switcher in a real browser, and Japanese pages passing every page check
(console, CSP, axe, phone tap targets and width, a screenshot).

The switcher is two plain links in the header. After htmx has swapped other
pages in, the header is still the first page's: app.js points the link's
`next` at the page shown now, and without JavaScript every page is a full
load, so the link is always current.
"""
from playwright.sync_api import expect


def test_switching_language_comes_back_to_the_page_shown(tab, accounts):
    page = tab.page
    accounts.signup()
    tab.sign_in(accounts, to="/dashboard", heading="Dashboard")
    # With JavaScript an htmx swap: the header (and the switcher's links) stay those of /dashboard.
    tab.step(tab.click("link", "Account"), "/account", "Account")

    switcher = page.locator(".language-switcher")
    tab.step(tab.click("link", "日本語", within=switcher), "/account", "アカウント", "account-ja", swapped=False)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(switcher.get_by_role("link", name="日本語")).to_have_attribute("aria-current", "true")
    expect(page.locator("#main")).to_contain_text("二段階認証")

    # Remembered on the next page, whether htmx swaps it in or the browser loads it.
    tab.step(tab.click("link", "有効にする"), "/two-step/phone", "電話番号を入力", "wizard-phone-ja")
    tab.fill("電話番号", "090-1234")
    tab.step(tab.click("button", "続ける"), "/two-step/phone", "電話番号を入力",
             wait_for=page.get_by_role("alert"))
    expect(page.get_by_role("alert")).to_have_text("この電話番号は無効です。番号と国番号をご確認ください。")
    tab.assert_error_announced("この電話番号は無効です", "電話番号")  # its 422, and only that, is expected

    tab.step(tab.click("link", "English", within=switcher), "/two-step/phone", "Enter your phone number",
             "wizard-phone-en", swapped=False)
    expect(page.locator("html")).to_have_attribute("lang", "en")
