"""A real production server for tests: gunicorn with gunicorn.conf.py on 127.0.0.1, a random port.

`LiveServer` starts the app as an operator would (several workers, the
server config in the repo), waits until it answers, and always cleans up:
`stop()` ends the whole process group, `kill9()` crashes it. `Browser` is a
`requests` session that reads CSRF tokens from the pages like a browser.
The tests that use these read the database directly to check what happened
(a separate connection, the same database the server writes).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = "live-test-secret-key-0123456789-abcdefghijklmnop"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
CODE_RE = re.compile(r"#(\d{6})\s*$")
RECOVERY_RE = re.compile(r"<code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</code>")
PHONE = "090-1234-5678"
PHONE_E164 = "+819012345678"
PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url, **settings):
    """The environment of a production-mode server for tests: cheap argon2, outbox SMS, plain HTTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_"))}
    env.update({
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1
        "SMS_BACKEND": "outbox", "SMS_OUTBOX_IN_PRODUCTION": "1",
        "SMS_ALLOWED_COUNTRIES": "JP",
        "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "ARGON2_PARALLELISM": "1",
        "RATELIMIT_SIGNIN": "100000 per minute",
        "RATELIMIT_STORAGE_URI": "database://",
        # Every account of these tests is made and used from 127.0.0.1.
        "SIGNUPS_PER_IP_DAY": "0", "SMS_PER_IP_DAY_ALL": "1000000",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in settings.items()})
    if "faketime" in env.get("LD_PRELOAD", ""):
        # The server runs at the faked hour too, but gunicorn calls time.sleep(), which libfaketime
        # breaks (EINVAL) when the monotonic clock is left real: fake it as well in the server.
        env["DONT_FAKE_MONOTONIC"] = "0"
    return env


class LiveServer:
    """gunicorn -c gunicorn.conf.py, in its own process group so that everything it forks can be ended."""

    def __init__(self, log_dir, database_url, workers=3, threads=4, **settings):
        self.log_dir = log_dir
        self.env = server_env(database_url, WEB_CONCURRENCY=workers, GUNICORN_THREADS=threads, **settings)
        self.process = None
        self.port = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.port = free_port()  # a new port each start: a crashed server's socket may linger
        self.starts += 1
        env = dict(self.env, GUNICORN_BIND=f"127.0.0.1:{self.port}")
        self.log_path = os.path.join(str(self.log_dir), f"gunicorn-{self.port}.log")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log()[-3000:]}")
            try:
                if requests.get(self.url + "/signin", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer in time: " + self.log()[-3000:])

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def _signal_group(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill9(self):
        """Crash the server: SIGKILL to the master and every worker at once."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is None or self.process.poll() is not None and not self._group_alive():
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)  # workers that did not stop in time
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def csrf_of(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


class Browser:
    """One browser: a cookie jar, and forms posted with the CSRF token of the page they came from."""

    def __init__(self, base_url, session=None):
        self.base_url = base_url
        self.session = session or requests.Session()
        self.token = None

    def clone(self, base_url=None):
        """Another tab of the same browser (a copy of the cookie jar), possibly through another server."""
        twin = Browser(base_url or self.base_url)
        twin.session.cookies.update(self.session.cookies)
        twin.token = self.token
        return twin

    def get(self, path, **kwargs):
        response = self.session.get(self.base_url + path, allow_redirects=False, timeout=30, **kwargs)
        if response.headers.get("Content-Type", "").startswith("text/html") and "csrf_token" in response.text:
            self.token = csrf_of(response.text)
        return response

    def post(self, path, data=None, token=None, **kwargs):
        """POST a form; the CSRF token is read from `path` first unless one is known or given."""
        if token is None:
            if self.token is None:
                self.get("/signin")
            token = self.token
        form = dict(data or {}, csrf_token=token)
        return self.session.post(self.base_url + path, data=form, allow_redirects=False, timeout=60, **kwargs)

    def refresh_token(self, path="/signin"):
        self.token = None
        self.get(path)
        return self.token


class Records:
    """The test's own view of the server's database (read-mostly), through the app's models."""

    def __init__(self, database_url):
        from models import init_database

        self.url = database_url
        self.database = init_database(database_url)

    def codes(self, phone=PHONE_E164):
        from models import OutboxMessage

        with self.database.connection_context():
            bodies = [m.body for m in OutboxMessage.select().where(OutboxMessage.phone == phone)
                      .order_by(OutboxMessage.id)]
        return [CODE_RE.search(body).group(1) for body in bodies]

    def last_code(self, phone=PHONE_E164):
        codes = self.codes(phone)
        assert codes, "no SMS was sent"
        return codes[-1]

    def mail_link(self, email, path):
        """The path and query of the newest `path` link mailed to `email` (the outbox mailer's table)."""
        from conftest import LINK_RE
        from models import MailMessage

        # The server's sender thread sends the queue a moment after the request: wait for it.
        deadline = time.monotonic() + 15
        while True:
            with self.database.connection_context():
                bodies = [m.body for m in MailMessage.select().where(MailMessage.to == email)
                          .order_by(MailMessage.id.desc())]
            for body in bodies:
                for link in LINK_RE.findall(body):
                    if link.startswith(path + "?"):
                        return link
            if time.monotonic() > deadline:
                raise AssertionError(f"no {path} link was mailed to {email}")
            time.sleep(0.05)

    def user(self, email):
        from models import User

        with self.database.connection_context():
            return User.get(User.email == email)

    def live_sessions(self, email):
        from models import AuthSession, User

        with self.database.connection_context():
            return (AuthSession.select().join(User)
                    .where(User.email == email, AuthSession.revoked_at.is_null()).count())

    def signin_challenges(self, email):
        from models import Challenge, User

        with self.database.connection_context():
            return list(Challenge.select().join(User)
                        .where(User.email == email, Challenge.purpose == "signin").order_by(Challenge.id))


def sign_up(browser, records, email, password=PASSWORD, name="Ann"):
    """Sign up, open the confirmation link from the mail outbox, press Confirm, and sign in."""
    browser.get("/signup")
    response = browser.post("/signup", {"email": email, "password": password, "name": name})
    assert response.status_code == 303, response.text[:2000]
    assert browser.get(records.mail_link(email, "/email/confirm")).status_code == 303
    browser.get("/email/confirm")
    assert browser.post("/email/confirm").status_code == 303
    browser.get("/signin")
    response = browser.post("/signin", {"email": email, "password": password})
    assert response.status_code == 303, response.text[:2000]
    browser.get("/dashboard")  # the new session's CSRF token
    return response


def enrol(browser, records, phone=PHONE, phone_e164=PHONE_E164):
    """Set up two-step verification through the wizard's pages; return the recovery code shown."""
    browser.get("/two-step/phone")
    assert browser.post("/two-step/phone", {"phone": phone}).status_code == 303
    assert browser.post("/two-step/passcode", {"code": records.last_code(phone_e164)}).status_code == 303
    recovery = RECOVERY_RE.search(browser.get("/two-step/recovery").text).group(1)
    assert browser.post("/two-step/confirm", {"kept": "y"}).status_code == 303
    return recovery


def sign_out(browser):
    assert browser.post("/signout").status_code == 303
    browser.token = None


def enrolled_account(base_url, records, email, phone, phone_e164):
    """A new account with two-step verification on, signed out. Returns its recovery code."""
    browser = Browser(base_url)
    sign_up(browser, records, email)
    recovery = enrol(browser, records, phone, phone_e164)
    sign_out(browser)
    return recovery


def password_step(browser, email, password=PASSWORD):
    """Sign in with the password; the browser then holds a pending sign-in (and a fresh CSRF token).

    Returns the passcode screen it was sent to (with any message flashed there).
    """
    browser.get("/signin")
    response = browser.post("/signin", {"email": email, "password": password})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/passcode"), response.text
    return browser.get("/signin/passcode")
