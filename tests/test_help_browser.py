"""In a real browser (Chromium, Playwright): the Yes / No vote swaps in place with htmx, under the strict CSP.

What only a browser can show: htmx sends the pressed button's value, only
the vote block changes (no page load), focus stays on the answer, and the
console has no CSP error. Skipped when Chromium is not installed.
"""
import os
import shutil
import threading

import pytest
from conftest import make_test_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
# CI sets REQUIRE_BROWSER=1: there a missing Chromium is a failure, not a skip.
pytestmark = pytest.mark.skipif(not CHROMIUM and not os.environ.get("REQUIRE_BROWSER"),
                                reason="Chromium is not installed (make test installs it as root)")


@pytest.fixture
def live_server(tmp_path):
    from werkzeug.serving import make_server

    app = make_test_app(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_vote_swaps_in_place_with_htmx_and_no_csp_error(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        console_errors = []
        page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        page.goto(live_server + "/signup")
        page.fill("#name", "Ann")
        page.fill("#email", "ann@example.com")
        page.fill("#password", "correct horse")
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")

        page.goto(live_server + "/help/two-step-verification")
        page.evaluate("window.notReloaded = true")
        page.click("#helpful button[value=yes]")
        page.wait_for_selector("text=1 out of 1 found this helpful")
        assert page.evaluate("window.notReloaded") is True  # swapped, not a page load
        assert page.is_visible("text=Thank you for your feedback.")
        assert page.get_attribute("#helpful button[value=yes]", "aria-pressed") == "true"
        assert page.evaluate("document.activeElement.value") == "yes"

        page.click("#helpful button[value=no]")
        page.wait_for_selector("text=0 out of 1 found this helpful")
        assert page.evaluate("window.notReloaded") is True
        assert page.get_attribute("#helpful button[value=no]", "aria-pressed") == "true"
        assert page.locator("#helpful").count() == 1
        browser.close()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    assert console_errors == []


def test_vote_works_without_javascript(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(java_script_enabled=False)
        page.goto(live_server + "/signup")
        page.fill("#name", "Ann")
        page.fill("#email", "ann@example.com")
        page.fill("#password", "correct horse")
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        page.goto(live_server + "/help/two-step-verification-code")
        page.click("#helpful button[value=yes]")
        page.wait_for_url("**/help/two-step-verification-code#helpful")
        assert page.is_visible("text=1 out of 1 found this helpful")
        assert page.is_visible("text=Thank you for your feedback.")
        browser.close()
