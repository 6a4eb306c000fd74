"""In a real browser (Chromium, Playwright): the language switcher after htmx navigation, and
Japanese pages under the strict CSP. Skipped when Chromium is not installed (as the other browser tests)."""
import os
import shutil
import threading

import pytest

from conftest import make_test_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("REQUIRE_BROWSER"),
                                reason="Chromium is not installed (make test installs it as root)")


@pytest.fixture
def live_server(tmp_path):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, make_test_app(tmp_path), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("javascript", [True, False])
def test_switching_language_comes_back_to_the_page_shown(live_server, javascript):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(java_script_enabled=javascript, extra_http_headers={"Accept-Language": "en-US"})
        errors = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(live_server + "/signup")
        page.fill("#name", "Ann")
        page.fill("#email", "ann@example.com")
        page.fill("#password", "correct horse")
        page.click("main button[type=submit]")
        page.wait_for_url("**/dashboard")
        # With JavaScript this is an htmx swap: the header (and its links) stay those of /dashboard.
        page.click("main >> text=Account")
        page.wait_for_url("**/account")
        page.wait_for_selector("text=Personal information")

        page.click(".language-switcher >> text=日本語")
        page.wait_for_url("**/account")
        page.wait_for_selector("h1:has-text('アカウント')")
        assert page.get_attribute("html", "lang") == "ja"
        assert page.is_visible("text=有効にする")
        assert page.get_attribute(".language-switcher [aria-current=true]", "lang") == "ja"

        # Remembered on the next page, in the fragment htmx swaps in too.
        page.click("main >> text=有効にする")
        page.wait_for_url("**/two-step/phone")
        page.wait_for_selector("h1:has-text('電話番号を入力')")
        assert page.is_visible("text=続ける")
        page.click(".language-switcher >> text=English")
        page.wait_for_url("**/two-step/phone")
        page.wait_for_selector("h1:has-text('Enter your phone number')")
        browser.close()
    assert errors == []
