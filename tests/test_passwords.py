"""Passwords: "Forgot password?", Change password, and an administrator's forced new password.

Every flow runs as a browser without JavaScript (plain forms, 303
redirects) against a real SMTP server started on 127.0.0.1: the links are
read from the mail it received, as a person would read them.
"""
import re

import pytest
from conftest import PHONE, Auth, BrowserLikeClient, Outbox, database_urls, make_test_app
from smtp_server import SmtpMailbox, SmtpServer

MAIL_FROM = "beSTREAM <no-reply@example.com>"
PUBLIC_URL = "https://accounts.example.com"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(params=database_urls())
def app(request, tmp_path, smtp):
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    application = make_test_app(tmp_path, request.param, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                                 MAIL_PORT=smtp.port, MAIL_USE_TLS=False, MAIL_FROM=MAIL_FROM, PUBLIC_URL=PUBLIC_URL,
                                 **overrides)
    smtp.app = application  # reading smtp.messages sends the queue first
    yield application
    from models import release_connections

    release_connections()


@pytest.fixture
def mailbox(app, smtp):
    return SmtpMailbox(smtp, app)


def new_client(app):
    app.test_client_class = BrowserLikeClient
    return app.test_client()


def subjects(smtp, to="ann@example.com"):
    return [str(m["message"]["Subject"]) for m in smtp.messages if m["to"] == [to]]


def enrolled(auth):
    """Ann, with two-step verification on, signed out."""
    auth.signup()
    recovery = auth.enrol()
    auth.signout()
    return recovery


def forgot(client, email="ann@example.com"):
    response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 303 and response.headers["Location"].endswith("/password/forgot/sent")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def open_link(client, link):
    """Open the mailed link: the token leaves the address bar at once."""
    response = client.get(link)
    assert response.status_code == 303
    assert "token" not in response.headers["Location"]
    return client.get(response.headers["Location"])


def test_forgot_password_link_new_password_then_sign_in_still_asks_for_the_passcode(app, client, auth, outbox,
                                                                                     mailbox, smtp):
    enrolled(auth)
    elsewhere = new_client(app)  # another browser, signed in with the second step before the reset
    Auth(elsewhere, outbox, mailbox).signin_with_passcode()
    assert elsewhere.get("/account").status_code == 200
    sms_before = outbox.count()

    page = forgot(client)
    assert "If an account uses that address, we have sent it a link" in page
    mail = smtp.messages[-1]
    assert mail["to"] == ["ann@example.com"] and mail["message"]["Subject"] == "beSTREAM: Reset your password"
    assert "within 30 minutes" in mail["body"]
    link = mailbox.last_link("ann@example.com", "/password/reset")
    assert f"{PUBLIC_URL}{link}" in mail["body"]  # PUBLIC_URL, never the request's Host

    form = open_link(client, link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    response = client.post("/password/reset", data={"password": "a brand new secret"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin")
    assert "Sign in with your new password" in client.get("/signin").get_data(as_text=True)

    # Every session of the account ended; the owner was told.
    assert elsewhere.get("/account").status_code == 302
    assert subjects(smtp)[-1] == "beSTREAM: Your password was reset"
    assert "Two-step verification is unchanged" in smtp.messages[-1]["body"]

    # The old password is dead; the new one still needs the second step.
    assert "The email or password is not right." in auth.signin(password="correct horse").get_data(as_text=True)
    response = auth.signin(password="a brand new secret")
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/passcode")
    assert client.get("/account").status_code == 302  # nothing signed in yet
    assert outbox.count() == sms_before + 1
    response = client.post("/signin/passcode", data={"code": outbox.last_code()})
    assert response.headers["Location"].endswith("/dashboard")

    # The link worked once.
    other = new_client(app)
    page = open_link(other, link)
    assert "This link no longer works" in page.get_data(as_text=True)
    assert other.post("/password/reset", data={"password": "attacker's choice"}).status_code == 410


def test_forgot_password_answers_the_same_for_an_unknown_address_and_mails_nobody(client, auth, smtp):
    auth.register()
    before = len(smtp.messages)
    unknown = forgot(client, "nobody@example.com")
    known = forgot(client, "ann@example.com")
    strip = lambda html: re.sub(r'value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html)  # noqa: E731
    assert strip(unknown) == strip(known)
    assert [m["to"] for m in smtp.messages[before:]] == [["ann@example.com"]]


def test_forgot_password_refuses_junk_with_a_message(client):
    response = client.post("/password/forgot", data={"email": ""})
    assert response.status_code == 422 and "Enter your email address." in response.get_data(as_text=True)
    response = client.post("/password/forgot", data={"email": "x" * 300})
    assert response.status_code == 422


def test_at_most_three_reset_links_an_hour_reach_one_mailbox(client, auth, smtp, clock):
    auth.register()
    for _ in range(5):
        forgot(client)
    assert subjects(smtp).count("beSTREAM: Reset your password") == 3
    clock.advance(3601)
    forgot(client)
    assert subjects(smtp).count("beSTREAM: Reset your password") == 4


def test_a_flood_of_requests_never_leaves_the_owner_without_a_working_link(client, auth, mailbox, smtp, clock):
    """Someone asks for three links on the hour; they die at :30. The owner asking at :31 still gets one."""
    auth.register()
    for _ in range(3):
        forgot(client)
    assert subjects(smtp).count("beSTREAM: Reset your password") == 3
    clock.advance(31 * 60)
    forgot(client)  # the owner
    assert subjects(smtp).count("beSTREAM: Reset your password") == 4
    link = mailbox.last_link("ann@example.com", "/password/reset")
    assert "Choose a new password" in open_link(client, link).get_data(as_text=True)


def test_a_reset_link_expires_after_30_minutes(app, client, auth, mailbox, clock):
    auth.register()
    forgot(client)
    link = mailbox.last_link("ann@example.com", "/password/reset")
    clock.advance(29 * 60 + 50)
    assert "Choose a new password" in open_link(client, link).get_data(as_text=True)
    clock.advance(20)
    response = client.post("/password/reset", data={"password": "too late now"})
    assert response.status_code == 410 and "This link no longer works" in response.get_data(as_text=True)
    assert "The email or password is not right." not in auth.signin().get_data(as_text=True)


def test_a_reset_link_dies_when_the_password_changes_another_way(app, client, auth, mailbox):
    auth.signup()
    auth.signout()
    forgot(client)
    link = mailbox.last_link("ann@example.com", "/password/reset")
    auth.signin()
    response = client.post("/account/password", data={"current": "correct horse", "password": "changed by hand"})
    assert response.status_code == 303
    thief = new_client(app)
    assert "This link no longer works" in open_link(thief, link).get_data(as_text=True)
    assert thief.post("/password/reset", data={"password": "thief's password"}).status_code == 410


def test_a_reset_link_dies_when_an_operator_sets_the_password(app, client, auth, mailbox):
    auth.register()
    forgot(client)
    link = mailbox.last_link("ann@example.com", "/password/reset")
    result = app.test_cli_runner().invoke(args=["users", "set-password", "ann@example.com", "--password",
                                                "set by the operator"])
    assert result.exit_code == 0, result.output
    assert "This link no longer works" in open_link(client, link).get_data(as_text=True)
    assert client.post("/password/reset", data={"password": "thief's password"}).status_code == 410


def test_a_new_reset_link_kills_none_but_a_reset_kills_the_others(app, client, auth, mailbox):
    auth.register()
    forgot(client)
    first = mailbox.last_link("ann@example.com", "/password/reset")
    forgot(client)
    second = mailbox.last_link("ann@example.com", "/password/reset")
    assert first != second
    open_link(client, second)
    assert client.post("/password/reset", data={"password": "the second link"}).status_code == 303
    other = new_client(app)
    assert "This link no longer works" in open_link(other, first).get_data(as_text=True)


def test_a_reset_password_must_be_long_enough(client, auth, mailbox):
    auth.register()
    forgot(client)
    open_link(client, mailbox.last_link("ann@example.com", "/password/reset"))
    response = client.post("/password/reset", data={"password": "short"})
    assert response.status_code == 422
    assert "Choose a password of at least 8 characters." in response.get_data(as_text=True)
    # The link still works after a refused password.
    assert client.post("/password/reset", data={"password": "long enough now"}).status_code == 303


def test_the_reset_link_is_built_from_public_url_not_the_host_header(app, auth, smtp):
    auth.register()
    app.test_client_class = BrowserLikeClient
    forged = app.test_client()
    forged.environ_base["HTTP_HOST"] = "evil.example"
    forgot(forged)
    body = smtp.messages[-1]["body"]
    assert smtp.messages[-1]["message"]["Subject"] == "beSTREAM: Reset your password"
    assert "evil.example" not in body and f"{PUBLIC_URL}/password/reset?token=" in body


def test_reset_also_ends_a_pending_sign_in(app, client, auth, outbox, mailbox):
    enrolled(auth)
    attacker = new_client(app)
    attacker_auth = Auth(attacker, outbox, mailbox)
    assert attacker_auth.signin().headers["Location"].endswith("/signin/passcode")
    forgot(client)
    open_link(client, mailbox.last_link("ann@example.com", "/password/reset"))
    assert client.post("/password/reset", data={"password": "a brand new secret"}).status_code == 303
    response = attacker.post("/signin/passcode", data={"code": outbox.last_code()})
    assert not response.headers.get("Location", "").endswith("/dashboard")
    assert attacker.get("/account").status_code == 302


# Change password --------------------------------------------------------------------------------


def test_change_password_needs_the_current_one_and_ends_the_other_sessions(app, client, auth, outbox, mailbox,
                                                                           smtp):
    auth.signup()
    other = new_client(app)
    Auth(other, outbox, mailbox).signin()
    assert other.get("/account").status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/account/password"' in page and "Change password" in page

    response = client.post("/account/password", data={"current": "wrong password", "password": "new password 1"})
    assert response.status_code == 422
    assert "Your current password is not right." in response.get_data(as_text=True)
    assert other.get("/account").status_code == 200  # nothing changed

    response = client.post("/account/password", data={"current": "correct horse", "password": "new password 1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert "Your password has been changed." in client.get("/account").get_data(as_text=True)
    assert other.get("/account").status_code == 302
    assert "Password changed" in client.get("/account/activity").get_data(as_text=True)
    assert subjects(smtp)[-1] == "beSTREAM: Your password was changed"
    auth.signout()
    assert auth.signin(password="correct horse").status_code == 422
    assert auth.signin(password="new password 1").status_code == 303


def test_change_password_with_htmx_answers_with_the_fragment_and_hx_location(client, auth):
    auth.signup()
    response = client.post("/account/password", data={"current": "nope nope", "password": "new password 1"},
                           htmx=True)
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current": "correct horse", "password": "new password 1"},
                           htmx=True)
    assert response.status_code == 200 and "/account" in response.headers["HX-Location"]


def test_change_password_refuses_the_same_or_a_short_password(client, auth):
    auth.signup()
    response = client.post("/account/password", data={"current": "correct horse", "password": "correct horse"})
    assert response.status_code == 422
    assert "Choose a password different from your current one." in response.get_data(as_text=True)
    response = client.post("/account/password", data={"current": "correct horse", "password": "short"})
    assert response.status_code == 422


def test_change_password_needs_a_signed_in_session(client):
    assert client.get("/account/password").status_code == 302
    assert client.post("/account/password", data={"current": "a", "password": "b"}).status_code == 302


def test_forgot_password_requests_waiting_are_capped_and_the_answer_stays_the_same(client, auth, smtp, monkeypatch,
                                                                                   caplog):
    """Requests wait in the mail queue until the sender resolves them: a flood cannot grow it without end."""
    import accounts
    from models import QueuedMail, db

    auth.register()
    monkeypatch.setattr(accounts, "RESET_REQUESTS_WAITING", 2)
    pages = [forgot(client, email) for email in ("nobody@example.com", "ann@example.com", "ann@example.com")]
    strip = lambda html: re.sub(r'value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html)  # noqa: E731
    assert strip(pages[0]) == strip(pages[1]) == strip(pages[2])
    with db.connection_context():
        assert QueuedMail.select().where(QueuedMail.kind == "reset_request").count() == 2
    assert "2 wait already" in caplog.text and "ann@example.com" not in caplog.text
    assert subjects(smtp).count("beSTREAM: Reset your password") == 1  # resolved: the queue has room again
    forgot(client)
    assert subjects(smtp).count("beSTREAM: Reset your password") == 2
