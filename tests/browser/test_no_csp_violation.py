"""No Content-Security-Policy violation, whatever else touches the page.

Browser extensions, password managers and accessibility tools set `style` on
the page's elements through the CSSOM (allowed under `style-src 'self'`).
htmx's settle step would copy such a `style` attribute onto the swapped-in
element with setAttribute(), which the CSP refuses ("Applying inline style
violates ... style-src 'self'", raised from htmx). The htmx-config in
base.html keeps `style` out of the attributes htmx settles. The `tab` fixture
fails the test on any console error or `securitypolicyviolation` event.
"""
import pytest
from playwright.sync_api import expect

from .support import wrong

PASSCODE = "Enter the 6-digit passcode"


@pytest.mark.parametrize("form_factor, javascript", [("desktop", True), ("phone", True)])
def test_a_swap_never_writes_a_style_attribute(tab, accounts):
    page = tab.page
    accounts.with_two_step("on")
    tab.sign_in(accounts)  # the passcode screen, swapped in by htmx
    # What an extension does: a style set through the CSSOM on every element the next swap replaces.
    touched = page.evaluate("""() => [...document.querySelectorAll('#main [id]')].map((el) => {
        el.style.outlineOffset = '1px'; el.style.removeProperty('outline-offset'); return el.id; })""")
    assert "code" in touched or len(touched) > 2, touched
    tab.fill("6-digit passcode", wrong(accounts.last_code()))
    tab.step(tab.click("button", "Continue"), "/signin/passcode", PASSCODE, wait_for=page.get_by_role("alert"))
    tab.assert_error_announced("That passcode is not right.", "6-digit passcode")
    page.wait_for_timeout(200)  # htmx settles 20 ms after the swap
    tab.assert_no_problems()
    expect(page.locator("#main [style]")).to_have_count(0)
