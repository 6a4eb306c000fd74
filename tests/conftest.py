"""Fixtures in the style of Flask's tutorial: a fresh app and database per test,
a client that sends CSRF tokens like a browser, an `auth` helper, the SMS
outbox and a clock the tests can move.

The suite runs on SQLite files; when TEST_DATABASE_URL names a PostgreSQL
database, every test that uses `app` runs on PostgreSQL as well.
"""
import os
import re
import threading
import time

import pytest
from flask.testing import FlaskClient

from core import clock as domain_clock

# The fake Vonage SMS API and the fixtures that use it (tests/conftest_vonage.py).
pytest_plugins = ["conftest_vonage"]

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
CODE_RE = re.compile(r"#(\d{6})\s*$")
RECOVERY_RE = re.compile(r"<code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</code>")

# Cheap argon2 so the suite is quick; the real costs are argon2-cffi's defaults.
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}
PHONE = "090-1234-5678"
PHONE_E164 = "+819012345678"


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # .ci/run proves the suite at other hours of the day under libfaketime with
    # DONT_FAKE_MONOTONIC=1, where Python's time.sleep() fails with EINVAL (libfaketime
    # mishandles clock_nanosleep on the real monotonic clock); a timed wait works.
    time.sleep = lambda seconds: threading.Event().wait(seconds)


def join_all(threads, timeout=60):
    """Wait for every thread of a race; fail the test if one is still running (stuck or deadlocked):
    a race whose threads did not all finish proves nothing about what they would have done."""
    for thread in threads:
        thread.join(timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{len(stuck)} of {len(threads)} threads did not finish: {stuck}"


def database_urls():
    urls = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        urls.append("postgresql")
    return urls


def reset_postgres(url):
    from playhouse.db_url import connect

    database = connect(url)
    with database.connection_context():
        database.execute_sql("DROP SCHEMA public CASCADE")
        database.execute_sql("CREATE SCHEMA public")


def make_test_app(tmp_path, backend="sqlite", **overrides):
    from app import create_app

    if backend == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path}/test.sqlite3"
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac",
        "SMS_ALLOWED_COUNTRIES": "JP,US,GB",
        "RATELIMIT_SIGNIN": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Queued mail is sent by `deliver_mail(app)` where a test reads it; the sender thread has its own tests.
        "MAIL_QUEUE_THREAD": False,
        **FAST_ARGON2,
        **overrides,
    }
    return create_app(config)


def deliver_mail(app):
    """Send the queued mail now, as the sender thread would; return {"sent": n, "retry": n, "failed": n}."""
    return app.extensions["mail_sender"].send_due()


@pytest.fixture(params=database_urls())
def app(request, tmp_path):
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    application = make_test_app(tmp_path, request.param, **overrides)
    yield application
    from models import release_connections

    release_connections()  # the pool's connections too: the next test has a new database


class BrowserLikeClient(FlaskClient):
    """A test client that, like a browser, posts the form's CSRF token.

    Before a POST without `csrf_token` it reads a fresh token from a page, as a
    browser would from the form it submits. `htmx=True` adds the headers htmx
    sends.
    """

    def csrf_token(self):
        page = super().open("/signin", method="GET").get_data(as_text=True)
        match = CSRF_RE.search(page)
        return match.group(1) or match.group(2)

    def open(self, *args, htmx=False, **kwargs):
        if htmx:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("HX-Request", "true")
            kwargs["headers"] = headers
        method = kwargs.get("method", "GET")
        data = kwargs.get("data")
        if method == "POST" and kwargs.pop("csrf", True):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            data = {k: v for k, v in data.items() if v is not None}
            kwargs["data"] = data
        else:
            kwargs.pop("csrf", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = BrowserLikeClient
    return app.test_client()


@pytest.fixture
def clock():
    """The rules' clock; `clock.advance(seconds)` moves it forward. Reset after each test."""
    domain_clock.reset()
    yield domain_clock
    domain_clock.reset()


class Outbox:
    """What the outbox SMS sender 'delivered'."""

    def __init__(self, app):
        self.app = app

    def messages(self, phone=None):
        from models import OutboxMessage, db

        # No app context is held between requests: Flask would share `g`
        # (and Flask-WTF's cached CSRF token) across the test's requests.
        with db.connection_context():
            query = OutboxMessage.select().order_by(OutboxMessage.id)
            if phone:
                query = query.where(OutboxMessage.phone == phone)
            return [m.body for m in query]

    def count(self, phone=None):
        return len(self.messages(phone))

    def last_code(self, phone=None):
        messages = self.messages(phone)
        assert messages, "no SMS was sent"
        return CODE_RE.search(messages[-1]).group(1)


@pytest.fixture
def outbox(app):
    return Outbox(app)


LINK_RE = re.compile(r"https?://[^/\s]+(/[\w/.-]*\?token=[\w-]+)")


class Mailbox:
    """What the outbox mailer 'delivered' (MAIL_BACKEND=outbox): [(to, subject, body)], oldest first.

    With `app`, the mail queue is sent first, as the sender thread would (tests run without it).
    """

    def __init__(self, app=None):
        self.app = app

    def messages(self, to=None):
        from models import MailMessage, db

        if self.app is not None:
            deliver_mail(self.app)
        with db.connection_context():
            query = MailMessage.select().order_by(MailMessage.id)
            if to:
                query = query.where(MailMessage.to == to)
            return [(m.to, m.subject, m.body) for m in query]

    def last_link(self, to, path):
        """The path and query of the newest link to `path` mailed to `to` (the test client needs no host)."""
        for _to, _subject, body in reversed(self.messages(to)):
            for link in LINK_RE.findall(body):
                if link.startswith(path + "?"):
                    return link
        raise AssertionError(f"no {path} link was mailed to {to}")


@pytest.fixture
def mailbox(app):
    return Mailbox(app)


class Auth:
    """Signs up, signs in and sets up two-step verification through the real pages."""

    def __init__(self, client, outbox, mailbox=None):
        self.client = client
        self.outbox = outbox
        self.mailbox = mailbox or Mailbox(client.application)

    def signup(self, email="ann@example.com", password="correct horse", name="Ann"):
        """Sign up, follow the confirmation link from the mail, and sign in (as a person would)."""
        response = self.register(email, password, name)
        self.confirm_email(email)
        response = self.signin(email, password)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def operator_account(self, email="ann@example.com", password="correct horse", name="Ann"):
        """An account made by an operator (`flask users create`): its address counts as confirmed and
        nothing is mailed; then sign in. For tests about other mail."""
        runner = self.client.application.test_cli_runner()
        result = runner.invoke(args=["users", "create", email, "--password", password, "--name", name])
        assert result.exit_code == 0, result.output
        response = self.signin(email, password)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def register(self, email="ann@example.com", password="correct horse", name="Ann"):
        """Only the sign-up form: the same answer for every address."""
        response = self.client.post("/signup", data={"email": email, "password": password, "name": name})
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.headers["Location"].endswith("/signup/sent")
        return response

    def confirm_email(self, email="ann@example.com"):
        """Open the newest confirmation link mailed to `email` and press Confirm."""
        assert self.client.get(self.mailbox.last_link(email, "/email/confirm")).status_code == 303
        response = self.client.post("/email/confirm", data={})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def signin(self, email="ann@example.com", password="correct horse"):
        return self.client.post("/signin", data={"email": email, "password": password})

    def signout(self):
        return self.client.post("/signout")

    def enrol(self, phone=PHONE):
        """Set up two-step verification end to end; return the recovery code shown."""
        assert self.client.post("/two-step/phone", data={"phone": phone}).status_code == 303
        code = self.outbox.last_code()
        assert self.client.post("/two-step/passcode", data={"code": code}).status_code == 303
        page = self.client.get("/two-step/recovery").get_data(as_text=True)
        recovery = RECOVERY_RE.search(page).group(1)
        assert self.client.post("/two-step/confirm", data={"kept": "y"}).status_code == 303
        return recovery

    def step_up(self, password="correct horse"):
        """Before Off, Unsubscribe, a new number or a new recovery code: the password typed again,
        then a passcode sent to the current number (views/step_up.py)."""
        assert self.client.post("/reauth", data={"password": password}).status_code == 303
        assert self.client.post("/two-step/verify").status_code == 303
        response = self.client.post("/two-step/verify/passcode", data={"code": self.outbox.last_code()})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def signin_with_passcode(self, email="ann@example.com", password="correct horse"):
        assert self.signin(email, password).headers["Location"].endswith("/signin/passcode")
        response = self.client.post("/signin/passcode", data={"code": self.outbox.last_code()})
        assert response.headers["Location"].endswith("/dashboard")
        return response


@pytest.fixture
def auth(client, outbox, mailbox):
    return Auth(client, outbox, mailbox)


def pytest_configure(config):
    config.addinivalue_line("markers", "settings(**config): extra app settings for this test")
    config.addinivalue_line("markers", "time_sensitive: reads the clock or writes times (set on its own, see below)")


TIME_WORDS = re.compile(r"i18n|date|time|expire|clock|hour|day|cooldown|lock", re.IGNORECASE)


def pytest_collection_modifyitems(config, items):
    """Mark the tests whose outcome could depend on the hour or the zone: those that use the
    `clock` fixture, and those whose name or file speaks of time. .ci/run re-runs them
    (`-m time_sensitive`) at 00:30 and 23:30 UTC under libfaketime and in two time zones."""
    for item in items:
        if "clock" in getattr(item, "fixturenames", ()) or TIME_WORDS.search(item.nodeid):
            item.add_marker(pytest.mark.time_sensitive)
