"""kill -9 under load (checklist items 33, 35): SQLite stays whole and keeps what it confirmed.

Browsers sign up, set up two-step verification, sign out and sign in again,
non-stop, while the server (master and workers together) is killed with
SIGKILL several times and started again. Afterwards:
  - the database passes PRAGMA integrity_check;
  - every account is fully set up or untouched (no half-enrolment);
  - everything the server confirmed to a browser (a 303 to the next step) is
    still there: the account, the set-up with its number, the session.
No answer along the way is a server error ("database is locked" included).
"""
import itertools
import sqlite3
import threading
import time

import requests

from conftest import join_all
from live import RECOVERY_RE, Browser, LiveServer, Records

KILLS = 4
SECONDS_BETWEEN_KILLS = 1.5
CLIENTS = 6


class Load:
    """Browsers running whole journeys against whatever port the server has now."""

    def __init__(self, server, records):
        self.server = server
        self.records = records
        self.stop = threading.Event()
        self.numbers = itertools.count(1000)
        self.lock = threading.Lock()
        self.confirmed = {}  # email -> {"signed_up", "phone", "signins"} the server confirmed
        self.server_errors = []
        self.journeys = 0

    def _confirm(self, email, **facts):
        with self.lock:
            entry = self.confirmed.setdefault(email, {"phone": None, "signins": 0})
            for key, value in facts.items():
                entry[key] = entry[key] + value if key == "signins" else value

    def _check(self, response, expected=303):
        if response.status_code >= 500:
            self.server_errors.append((response.request.path_url, response.status_code))
        return response.status_code == expected

    def _confirm_address(self, browser, email):
        """Open the confirmation link from the mail outbox, press Confirm, sign in."""
        try:
            link = self.records.mail_link(email, "/email/confirm")
        except AssertionError:
            return False  # the crash came before the mail
        if not self._check(browser.get(link)):
            return False
        browser.get("/email/confirm")
        if not self._check(browser.post("/email/confirm")):
            return False
        browser.get("/signin")
        if not self._check(browser.post("/signin", {"email": email, "password": "correct horse"})):
            return False
        browser.get("/dashboard")
        return True

    def journey(self):
        n = next(self.numbers)
        head, tail = 1000 + n // 10000, n % 10000
        email, phone, e164 = f"crash{n}@example.com", f"080-{head:04d}-{tail:04d}", f"+8180{head:04d}{tail:04d}"
        browser = Browser(self.server.url)
        browser.get("/signup")
        if not self._check(browser.post("/signup", {"email": email, "password": "correct horse", "name": "C"})):
            return
        if not self._confirm_address(browser, email):
            return
        self._confirm(email)
        browser.get("/two-step/phone")
        if not self._check(browser.post("/two-step/phone", {"phone": phone})):
            return
        if not self._check(browser.post("/two-step/passcode", {"code": self.records.last_code(e164)})):
            return
        page = browser.get("/two-step/recovery")
        if not self._check(page, 200) or not RECOVERY_RE.search(page.text):
            return
        if not self._check(browser.post("/two-step/confirm", {"kept": "y"})):
            return
        self._confirm(email, phone=e164)
        if not self._check(browser.post("/signout")):
            return
        browser.token = None
        browser.get("/signin")
        if not self._check(browser.post("/signin", {"email": email, "password": "correct horse"})):
            return
        browser.get("/signin/passcode")
        response = browser.post("/signin/passcode", {"code": self.records.last_code(e164)})
        if self._check(response) and response.headers["Location"].endswith("/dashboard"):
            self._confirm(email, signins=1)
            with self.lock:
                self.journeys += 1

    def run(self):
        while not self.stop.is_set():
            try:
                self.journey()
            except (requests.RequestException, AssertionError):
                time.sleep(0.05)  # the server is down (or was killed mid-answer): start a new journey


def test_kill_9_under_load_loses_nothing_confirmed_and_leaves_no_half_set_up(tmp_path):
    path = tmp_path / "app.sqlite3"
    url = f"sqlite:///{path}"
    server = LiveServer(tmp_path, url, workers=3, threads=2, SMS_PER_IP_DAY=100000,
                        SMS_NEW_NUMBERS_PER_ACCOUNT_DAY=100, SMS_DAILY_LIMIT=100000)
    server.start()
    records = Records(url)
    load = Load(server, records)
    clients = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
    try:
        for client in clients:
            client.start()
        for _ in range(KILLS):
            time.sleep(SECONDS_BETWEEN_KILLS)
            server.kill9()
            server.start()
        time.sleep(SECONDS_BETWEEN_KILLS)
    finally:
        load.stop.set()
        server.stop()
    join_all(clients, timeout=30)  # every client thread ended: none hung on a dead server

    assert server.starts == KILLS + 1
    assert load.journeys >= 1 and len(load.confirmed) >= 5, "the load did too little to mean anything"
    assert not load.server_errors, load.server_errors

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        accounts = connection.execute(
            "SELECT email, two_step, phone, recovery_hash FROM user").fetchall()
        sessions = dict(connection.execute(
            "SELECT u.email, COUNT(*) FROM auth_session s JOIN user u ON u.id = s.user_id GROUP BY u.email"))

    for email, two_step, phone, recovery_hash in accounts:
        if two_step == "on":
            assert phone and recovery_hash, email
        else:
            assert two_step == "none" and phone is None and recovery_hash is None, email

    by_email = {row[0]: row for row in accounts}
    for email, facts in load.confirmed.items():
        assert email in by_email, f"confirmed sign-up of {email} was lost"
        if facts["phone"]:
            assert by_email[email][1:3] == ("on", facts["phone"]), f"confirmed set-up of {email} was lost"
        # One session from the sign-up, one per confirmed sign-in.
        assert sessions.get(email, 0) >= 1 + facts["signins"], f"a confirmed session of {email} was lost"
