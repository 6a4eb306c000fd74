"""Passkeys in a real browser: add one from the Account page and sign in with it, with Chromium's virtual
authenticator (CDP WebAuthn domain: CTAP2, internal transport, resident key, user verification), on a
desktop window and a phone. Where WebAuthn is missing (JavaScript off, or no window.PublicKeyCredential)
the passkey controls are absent and the other methods remain.

WebAuthn needs a secure context and a relying-party id that is a host name, never an IP address:
these journeys open the live server as http://localhost:<port> (Chromium counts localhost as secure),
with PUBLIC_HOST=localhost (the default) and PASSKEY_ORIGINS=http://localhost:<port>.
"""
import pytest
from playwright.sync_api import expect

from .test_authenticator import step_up

ADD = "Add a passkey"
USE = "Use a passkey"
NO_WEBAUTHN = "delete window.PublicKeyCredential;"


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    """The live server by name (localhost), not by address: the relying-party id must be a host name."""
    return {**browser_context_args, "base_url": f"http://localhost:{live_server.server.server_port}"}


@pytest.fixture(autouse=True)
def passkey_origin(live_server, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "PASSKEY_ORIGINS", f"http://localhost:{live_server.server.server_port}")


def virtual_authenticator(page):
    """A platform authenticator in this tab (Chromium's, driven over CDP) that says yes at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def credentials(cdp, authenticator_id):
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


@pytest.mark.parametrize("javascript", [True], ids=["js"], indirect=True)
def test_a_passkey_is_added_from_the_account_page_and_signs_in(tab, accounts):
    page = tab.page
    cdp, authenticator_id = virtual_authenticator(page)
    accounts.with_two_step("on")
    tab.sign_in_with_passcode(accounts)

    tab.open("/account", "Account")
    expect(page.locator("#main").get_by_role("link", name=ADD)).to_be_visible()
    step_up(tab, accounts, tab.click("link", ADD), "/two-step/passkeys", ADD)
    tab.check("passkey-add", readme="passkey-add")
    expect(page.get_by_text("This browser cannot create a passkey here.")).to_be_hidden()

    # Without a name, nothing is asked of the authenticator: the server says what is missing.
    tab.step(tab.click("button", "Create the passkey"), "/two-step/passkeys", ADD, swapped=False,
             wait_for=page.get_by_role("alert").first)
    tab.assert_error_announced("Give the passkey a name.", "Passkey name")
    assert credentials(cdp, authenticator_id) == []

    tab.fill("Passkey name", "This laptop")
    tab.step(tab.click("button", "Create the passkey"), "/account", "Account", swapped=False)
    expect(page.get_by_role("status")).to_contain_text("Passkey added.")
    expect(page.locator("#main .passkeys")).to_contain_text("This laptop")
    expect(page.locator("#main .passkeys")).to_contain_text("Not used yet.")
    tab.check("account-with-passkey", readme="account-passkeys")
    [stored] = credentials(cdp, authenticator_id)
    assert stored["isResidentCredential"] and stored["rpId"] == "localhost"

    # Signing in again opens on the passkey (added last) and sends no SMS.
    sent = len(accounts.messages())
    tab.step(lambda: page.get_by_role("button", name="Sign out").click(), "/signin", "Sign in", swapped=False)
    tab.sign_in(accounts, to="/signin/passkey", heading=USE)
    tab.check("signin-passkey", readme="passkey-signin")
    assert len(accounts.messages()) == sent
    expect(page.get_by_text("This browser cannot use a passkey here.")).to_be_hidden()

    # "Try another method" lists it with the others, and comes back.
    tab.step(tab.click("link", "Try another method"), "/signin/another-method", "Try another method")
    expect(page.get_by_role("link", name="Passkey", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="SMS passcode")).to_be_visible()
    expect(page.get_by_role("link", name="Recovery code")).to_be_visible()
    tab.check("another-method-passkey")
    tab.step(tab.click("link", "Passkey"), "/signin/passkey", USE)

    tab.step(tab.click("button", USE), "/dashboard", "Dashboard", swapped=False)
    [used] = credentials(cdp, authenticator_id)
    assert used["signCount"] >= 1

    # Removing it, after the step-up, confirmed with the passkey itself this time (no SMS).
    tab.open("/account", "Account")
    remove = page.locator("#main .passkeys").get_by_role("link", name="Remove This laptop")
    href = remove.get_attribute("href")
    sent = len(accounts.messages())
    tab.step(lambda: remove.click(), "/reauth", "Confirm it is you")
    tab.fill("Password", accounts.PASSWORD)
    tab.step(tab.click("button", "Continue"), "/two-step/verify", "Confirm it is you")
    tab.step(tab.click("link", "Use a passkey instead"), "/two-step/verify/passkey", "Confirm it is you")
    tab.check("step-up-passkey")
    tab.step(tab.click("button", USE), href, "Remove a passkey", swapped=False)
    assert len(accounts.messages()) == sent
    tab.check("passkey-remove")
    tab.step(tab.click("button", "Remove"), "/account", "Account")
    expect(page.get_by_role("status")).to_contain_text("Passkey removed.")
    expect(page.locator("#main .passkeys")).to_have_count(0)


def test_without_webauthn_the_passkey_option_is_absent_and_the_others_remain(tab, accounts):
    """JavaScript off, or a browser without window.PublicKeyCredential: no passkey button anywhere."""
    page = tab.page
    if tab.js:
        page.context.add_init_script(NO_WEBAUTHN)
    accounts.with_two_step("on")
    # The account has a passkey (added with Flask's client and a software authenticator, as in the unit tests).
    add_passkey_with_client(accounts)
    tab.sign_in(accounts, to="/signin/passkey", heading=USE, name="signin-passkey-unsupported")
    expect(page.get_by_role("button", name=USE)).to_have_count(0)
    expect(page.get_by_text("This browser cannot use a passkey here.")).to_be_visible()
    tab.step(tab.click("link", "Try another method"), "/signin/another-method", "Try another method",
             "another-method-no-webauthn", swapped=tab.js)
    expect(page.get_by_role("link", name="Passkey", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Recovery code")).to_be_visible()
    tab.step(tab.click("button", "SMS passcode"), "/signin/passcode", "Enter the 6-digit passcode", swapped=tab.js)
    tab.fill("6-digit passcode", accounts.last_code())
    tab.step(tab.click("button", "Continue"), "/dashboard", "Dashboard", swapped=False)
    tab.open("/account", "Account")
    expect(page.get_by_role("link", name=ADD)).to_have_count(0)
    expect(page.get_by_text("To add a passkey, use a browser that supports passkeys")).to_be_visible()


def add_passkey_with_client(accounts):
    """One passkey on the account, added through the pages with Flask's test client."""
    from soft_authenticator import SoftAuthenticator

    client = accounts.client
    origin = accounts.app.config["PASSKEY_ORIGINS"]
    assert client.post("/reauth", data={"password": accounts.PASSWORD}).status_code == 303
    assert client.post("/two-step/verify").status_code == 303
    assert client.post("/two-step/verify/passcode", data={"code": accounts.last_code()}).status_code == 303
    options = client.post("/two-step/passkeys/options").get_data(as_text=True)
    answer = SoftAuthenticator(origin=origin).create(options)
    assert client.post("/two-step/passkeys", data={"name": "Phone", "credential": answer}).status_code == 303
