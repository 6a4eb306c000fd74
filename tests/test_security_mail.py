"""Security e-mails, sent through a real SMTP server the tests start on 127.0.0.1.

The user is told when two-step verification is turned on, Off, enabled
again, a number change, a recovery code used to sign in and Unsubscribe,
with time, browser and IP, never a code or the full number. Mail is queued
with the change and sent apart from requests (tests/test_mail_queue.py);
here `deliver_mail` sends the queue where the test reads the mail.
"""
import re

import pytest
from conftest import PHONE_E164, Auth, BrowserLikeClient, Outbox, database_urls, deliver_mail, make_test_app
from smtp_server import SmtpMailbox, SmtpServer

BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/140.0.0.0 Safari/537.36")
NEW_PHONE = "080-2345-6799"
NEW_PHONE_E164 = "+818023456799"
MAIL_FROM = "beSTREAM <no-reply@example.com>"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(params=database_urls())
def app(request, tmp_path, smtp):
    # The journey below sends 8 SMS in a few minutes (set-up, Enable, step-ups, a new number).
    application = make_test_app(tmp_path, request.param, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                                 MAIL_PORT=smtp.port, MAIL_USE_TLS=False, MAIL_FROM=MAIL_FROM,
                                 SMS_PER_ACCOUNT_HOUR=20, SMS_PER_NUMBER_HOUR=20)
    yield application
    from models import db

    if not db.is_closed():
        db.close()


@pytest.fixture
def mailbox(app, smtp):
    return SmtpMailbox(smtp, app)


def two_step_mail(messages):
    """The security notices among the mails (sign-up's confirmation link is not one)."""
    return [m for m in messages if "Confirm your e-mail address" not in str(m["message"]["Subject"])]


@pytest.fixture
def client(app):
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = BROWSER
    return client


def _secrets_seen(outbox, *recovery_codes):
    """Every passcode sent by SMS, every recovery code shown, and the full numbers."""
    codes = re.findall(r"#(\d{6})", "\n".join(outbox.messages()))
    return set(codes) | set(recovery_codes) | {c.replace("-", "") for c in recovery_codes} | {
        PHONE_E164, PHONE_E164[3:], NEW_PHONE_E164, NEW_PHONE_E164[3:], "090-1234-5678", NEW_PHONE}


def test_every_change_is_mailed_with_time_browser_ip_and_no_secret(app, client, auth, outbox, smtp):
    auth.signup()
    deliver_mail(app)
    assert [m["message"]["Subject"] for m in smtp.messages] == ["beSTREAM: Confirm your e-mail address"]
    del smtp.messages[:]  # signing up is not a two-step change
    first_recovery = auth.enrol()
    auth.step_up()
    assert client.post("/two-step/off").status_code == 303
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    assert client.post("/two-step/enable").status_code == 303
    assert client.post("/two-step/enable/passcode", data={"code": outbox.last_code()}).status_code == 303
    auth.step_up()
    assert client.post("/two-step/number", data={"phone": NEW_PHONE}).status_code == 303
    assert client.post("/two-step/change/passcode", data={"code": outbox.last_code()}).status_code == 303
    auth.signout()
    auth.signin()
    response = client.post("/signin/recovery", data={"code": first_recovery})
    new_recovery = re.search(r"<code>([0-9A-Z-]{19})</code>", response.get_data(as_text=True)).group(1)
    # Unsubscribe, confirmed with the recovery code: it is replaced (and the owner told) first.
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    response = client.post("/two-step/verify/recovery", data={"code": new_recovery})
    third_recovery = re.search(r"<code>([0-9A-Z-]{19})</code>", response.get_data(as_text=True)).group(1)
    assert client.post("/two-step/unsubscribe").status_code == 303
    assert deliver_mail(app) == {"sent": 7, "retry": 0, "failed": 0}

    subjects = [m["message"]["Subject"] for m in smtp.messages]
    assert subjects == [
        "beSTREAM: Two-step verification is on",
        "beSTREAM: Two-step verification was turned off",
        "beSTREAM: Two-step verification is on again",
        "beSTREAM: Your two-step verification number was changed",
        "beSTREAM: Your recovery code was used to sign in",
        "beSTREAM: You have a new recovery code",
        "beSTREAM: Two-step verification was removed",
    ]
    secrets = _secrets_seen(outbox, first_recovery, new_recovery, third_recovery)
    for sent in smtp.messages:
        assert sent["to"] == ["ann@example.com"]
        assert sent["from"] == "no-reply@example.com"
        body = sent["body"]
        assert re.search(r"When: \d{4}-\d\d-\d\d \d\d:\d\d JST", body)  # the site's TIME_ZONE
        assert "Browser: Chrome on Windows" in body
        assert "IP address: 127.0.0.1" in body
        for secret in secrets:
            assert secret not in body and secret not in sent["message"]["Subject"]
        assert not re.search(r"\d{6}", body)  # no code-like run of digits
    bodies = [m["body"] for m in smtp.messages]
    assert "Passcodes go to: +81 ••••••••78" in bodies[0]
    assert "Details: until " in bodies[1]
    assert "Details: to +81 ••••••••99" in bodies[3]
    assert "signed in to your beSTREAM account with your recovery code" in bodies[4]


def test_starttls_and_login_are_used_when_configured(tmp_path, monkeypatch):
    with SmtpServer(tmp_path, tls=True, username="mailer", password="mail-secret") as server:
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        app = make_test_app(tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                            MAIL_USE_TLS=True, MAIL_USERNAME="mailer", MAIL_PASSWORD="mail-secret",
                            MAIL_FROM=MAIL_FROM)
        app.test_client_class = BrowserLikeClient
        client = app.test_client()
        auth = Auth(client, Outbox(app), SmtpMailbox(server, app))
        auth.signup()
        auth.enrol()
        deliver_mail(app)
        assert len(server.messages) == 2  # the confirmation link, then "turned on"
        assert all(m["tls"] and m["authenticated"] for m in server.messages)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_like_port_465_is_verified_against_the_trust_store(tmp_path, monkeypatch):
    from mail import MailError
    from mail.smtp import SmtpMailer

    with SmtpServer(tmp_path, tls=True, implicit_tls=True) as server:
        mailer = SmtpMailer("127.0.0.1", server.port, MAIL_FROM, username="mailer", password="mail-secret",
                            implicit_tls=True, timeout=5)
        # Not trusted yet: the certificate is refused and nothing is sent.
        with pytest.raises(MailError, match="SSLCertVerificationError"):
            mailer.send("ann@example.com", "Subject", "Body")
        monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
        mailer.send("ann@example.com", "Subject", "Body")
        assert len(server.messages) == 1 and server.messages[0]["tls"] and server.messages[0]["authenticated"]


def test_smtp_needs_a_from_address(tmp_path):
    with pytest.raises(SystemExit, match="MAIL_FROM"):
        make_test_app(tmp_path, MAIL_BACKEND="smtp")
    with pytest.raises(SystemExit, match="MAIL_BACKEND='pigeon' is not known"):
        make_test_app(tmp_path, MAIL_BACKEND="pigeon")


def test_the_browser_is_named_never_quoted_so_a_user_agent_cannot_write_the_mail(app, client, auth, smtp):
    client.environ_base["HTTP_USER_AGENT"] = "Ignore this mail: our support team made this change. Firefox/1"
    auth.signup()
    auth.enrol()
    deliver_mail(app)
    body = smtp.messages[-1]["body"]
    assert "Browser: Firefox\r\n" in body
    assert "support team" not in body


@pytest.mark.parametrize("agent, shown", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.0 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36",
     "Chrome on Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 "
     "Safari/537.36 Edg/140.0", "Edge on macOS"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox on Linux"),
    ("curl/8.0", "an unknown browser"),
    ("", "an unknown browser"),
])
def test_describe_browser(agent, shown):
    from accounts.notices import describe_browser

    assert describe_browser(agent) == shown
