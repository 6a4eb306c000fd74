"""Issue 2: accounts, Dashboard, Account page, settings, headers, CSRF, sessions, CLI."""
import pathlib
import re

import pytest

import accounts

from conftest import make_test_app


def test_refuses_to_start_in_production_without_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    for key in (None, "dev", "change-me", "short-but-not-known"):
        with pytest.raises(SystemExit) as refused:
            make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY=key, SMS_OUTBOX_IN_PRODUCTION=True)
        assert "SECRET_KEY" in str(refused.value)
    app = make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY="x" * 40, SMS_OUTBOX_IN_PRODUCTION=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"


def test_schema_is_created_and_versioned(app):
    from models import db

    with db.connection_context():
        applied = [row[0] for row in db.execute_sql("SELECT name FROM schema_migration")]
    assert "0001_initial" in applied


@pytest.mark.parametrize("htmx", [False, True])
def test_signup_then_dashboard_then_account(client, auth, htmx):
    response = client.post("/signup", data={"name": "Ann", "email": "Ann@Example.com", "password": "correct horse"},
                           htmx=htmx)
    if htmx:
        assert response.status_code == 200 and "/signup/sent" in response.headers["HX-Location"]
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/signup/sent"
    assert "Check your email" in client.get("/signup/sent").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # sign-up alone signs nobody in
    auth.confirm_email("ann@example.com")
    auth.signin()
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/account"' in dashboard and "Welcome, Ann." in dashboard
    account = client.get("/account")
    text = account.get_data(as_text=True)
    assert "Personal information" in text and 'aria-current="page">Personal information' in text
    assert "ann@example.com" in text and "Ann" in text
    assert "Two-step verification" in text and "Not set up" in text and "To enable" in text


def test_tabs_are_links_and_swap_as_fragments(client, auth):
    auth.signup()
    full = client.get("/account/activity")
    assert full.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    fragment = client.get("/account/activity", htmx=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Security activity" in body and "Account created" in body
    assert "HX-Request" in fragment.headers["Vary"]
    # A boosted or history-restore request gets the whole page.
    restore = client.get("/account", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_signup_can_be_switched_off(tmp_path):
    app = make_test_app(tmp_path, ALLOW_SIGNUP=False)
    client = app.test_client()
    assert client.get("/signup").status_code == 404
    assert "Sign up" not in client.get("/signin").get_data(as_text=True)


def test_unknown_email_and_wrong_password_get_the_same_answer(client, auth):
    auth.signup()
    auth.signout()
    unknown = auth.signin("nobody@example.com", "correct horse")
    wrong = auth.signin("ann@example.com", "wrong password")
    assert unknown.status_code == wrong.status_code == 422
    strip = lambda r: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(unknown).replace("nobody@example.com", "") == strip(wrong).replace("ann@example.com", "")
    assert "The email or password is not right." in wrong.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"name": "", "email": "a@example.com", "password": "correct horse"}, "Enter your name."),
    ({"name": "A", "email": "not-an-email", "password": "correct horse"}, "Enter a valid email address"),
    ({"name": "A", "email": "a@example.com", "password": "short"}, "at least 8 characters"),
    ({"name": "A" * 10000, "email": "a@example.com", "password": "correct horse"}, "100 characters"),
    ({"name": "A\x00B", "email": "a@example.com", "password": "correct horse"}, "control characters"),
    ({"name": "A", "email": "a\x07@example.com", "password": "correct horse"}, "Enter a valid email address"),
    ({"name": "A", "email": "a@example.com", "password": "x" * 10000}, "1024"),
])
def test_bad_signup_input_gets_a_clear_message(client, data, message):
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_taken_email_gets_the_same_answer_and_changes_nothing(client, auth, mailbox):
    auth.signup()
    auth.signout()
    response = client.post("/signup", data={"name": "B", "email": "ANN@example.com", "password": "other password"})
    assert response.status_code == 303 and response.headers["Location"] == "/signup/sent"
    assert mailbox.messages("ann@example.com")[-1][1] == "beSTREAM: Someone tried to sign up with your address"
    assert auth.signin(password="other password").status_code == 422
    assert auth.signin().status_code == 303


def test_posts_without_or_with_a_wrong_csrf_token_are_refused(client):
    for data in ({"email": "a@example.com", "password": "x"}, {"email": "a@example.com", "password": "x",
                                                               "csrf_token": "forged"}):
        response = client.post("/signin", data=data, csrf=False)
        assert response.status_code == 400
        assert "This form has expired" in response.get_data(as_text=True)


def test_htmx_posts_carry_csrf_in_a_header(client):
    token = client.csrf_token()
    response = client.post("/signin", data={"email": "a@example.com", "password": "x"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"}, csrf=False)
    assert response.status_code == 422  # reached the form check: the CSRF header was accepted


def test_security_headers_on_every_page(client):
    for url in ("/signin", "/signup", "/nowhere"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                          "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_cookie_is_httponly_and_lax(client, auth):
    response = auth.signup()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_is_renewed_at_sign_in_and_a_replayed_cookie_after_sign_out_is_anonymous(app, client, auth):
    auth.signup()
    auth.signout()
    before = client.get_cookie("session").value
    auth.signin()
    signed_in = client.get_cookie("session").value
    assert signed_in != before
    assert client.get("/dashboard").status_code == 200
    auth.signout()
    replay = app.test_client()
    replay.set_cookie("session", signed_in)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_password_is_rehashed_when_the_cost_changes(tmp_path):
    from models import User, db

    app = make_test_app(tmp_path)
    with app.app_context(), db.connection_context():
        accounts.create_user(app.extensions["password_hasher"], "a@example.com", "correct horse", "A")
        old = User.get(User.email == "a@example.com").password_hash
    stronger = make_test_app(tmp_path, ARGON2_TIME_COST=2)
    with stronger.app_context(), db.connection_context():
        assert stronger.extensions["authenticator"].authenticate("a@example.com", "correct horse")
        new = User.get(User.email == "a@example.com").password_hash
    assert new != old and "t=2" in new and "t=1" in old


def test_pages_need_sign_in(client):
    for url in ("/dashboard", "/account", "/account/activity", "/two-step/phone"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_cli_creates_accounts_and_refuses_duplicates(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "op@example.com", "--password", "long enough", "--name", "Op"])
    assert result.exit_code == 0 and "Created account op@example.com" in result.output
    again = runner.invoke(args=["users", "create", "OP@example.com", "--password", "long enough"])
    assert again.exit_code != 0 and "already exists" in again.output
    bad = runner.invoke(args=["users", "create", "not-an-email", "--password", "long enough"])
    assert bad.exit_code != 0 and "valid email" in bad.output


def test_htmx_is_vendored_with_its_version_and_configured_for_the_csp(client):
    page = client.get("/signin").get_data(as_text=True)
    # Linked under a content-hashed name (views/assets.py), the version still in it.
    linked = re.search(r'src="(/static/js/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js)"', page)
    assert linked
    assert '"includeIndicatorStyles": false' in page and '"allowEval": false' in page
    assert client.get(linked.group(1)).status_code == 200


def test_templates_have_no_inline_script_or_style_and_list_their_variables():
    for path in pathlib.Path(__file__).parent.parent.joinpath("templates").rglob("*.html"):
        text = path.read_text()
        assert text.startswith("{#"), f"{path.name} must start with a comment listing its variables"
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|hx-on", text), path
