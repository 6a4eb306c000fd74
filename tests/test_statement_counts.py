"""How many SQL statements and commits each request of a whole sign-in costs.

Every statement is Python work to build and a round trip; every commit is a
disk sync (SQLite runs with synchronous=FULL). A change that adds a query to
one of these requests fails here, not in a benchmark weeks later. If a change
needs one more, change the figure here and in bench/README.md, and say why in
the commit.

Counted: every statement the app sends (savepoints included; BEGIN and COMMIT
themselves not), and every commit: an explicit COMMIT, or a write sent
outside a transaction, which the database commits on its own.
"""
import contextlib
import re
import threading

import pytest

from conftest import PHONE_E164

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
WRITE_RE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

# (statements, commits) per request, with the per-client request limit counted in the database
# (RATELIMIT_STORAGE_URI=database://, the default): one upsert that returns the count, on each
# limited POST. PostgreSQL adds one statement where an SMS is reserved: the advisory lock that
# serialises reservations (twostep/limits.py).
EXPECTED = {
    "GET /signin": (0, 0),
    # The request limit's counter (1 commit); the account; the address's wrong-password record
    # (issue 13's throttle); the pending sign-in (1 commit); then one transaction (1 commit): every
    # SMS cap counted in one statement, the code on the pending sign-in, the attempt's row; the
    # outbox's row (the "provider", 1 commit); the attempt marked sent (1 commit).
    "POST /signin": (9, 5),
    "GET /signin/passcode": (1, 0),  # the pending sign-in and its account, one query
    # The request limit's counter (1 commit); the pending sign-in and its account; then one transaction
    # (1 commit): the try counted on the code and on the account, the code used up and the sign-in
    # closed in one UPDATE, the failures reset, the new session, the security record.
    "POST /signin/passcode": (8, 2),
    "GET /dashboard": (1, 0),  # the session and its account, one query
    "POST /signout": (3, 1),  # the session and its account; the record and the end of the session, one commit
}


class Counter:
    """Counts what the app sends to the database while `counting()` is open."""

    def __init__(self, database):
        self.database = database
        self.statements = self.commits = 0
        self.active = False

    @contextlib.contextmanager
    def counting(self):
        self.statements = self.commits = 0
        self.thread = threading.get_ident()  # the request's: a background thread (the mail sender) is not counted
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def install(self, monkeypatch):
        database = self.database
        execute_sql, commit = database.execute_sql, database.commit

        def counted_execute(sql, params=None, *args, **kwargs):
            if self.active and threading.get_ident() == self.thread:
                self.statements += 1
                if WRITE_RE.match(sql) and database.transaction_depth() == 0:
                    self.commits += 1  # autocommitted
            return execute_sql(sql, params, *args, **kwargs)

        def counted_commit(*args, **kwargs):
            if self.active and threading.get_ident() == self.thread:
                self.commits += 1
            return commit(*args, **kwargs)

        monkeypatch.setattr(database, "execute_sql", counted_execute)
        monkeypatch.setattr(database, "commit", counted_commit)


@pytest.fixture
def counter(app, monkeypatch):
    from models import db, is_sqlite

    counter = Counter(db.obj)
    counter.install(monkeypatch)
    counter.sqlite = is_sqlite()
    return counter


def csrf_of(response):
    return CSRF_RE.search(response.get_data(as_text=True)).group(1)


def expected(step, counter):
    statements, commits = EXPECTED[step]
    if step == "POST /signin" and not counter.sqlite:
        statements += 1  # pg_advisory_xact_lock
    return statements, commits


# csrf=False: the test client would otherwise fetch a page for a token inside the measured request.
@pytest.mark.settings(RATELIMIT_STORAGE_URI="database://")  # the default: its counter is a statement too
def test_each_request_of_a_whole_sign_in_runs_its_statements_and_commits(client, auth, outbox, counter):
    auth.signup()
    auth.enrol()
    auth.signout()
    seen = {}

    def measure(step, call):
        with counter.counting():
            response = call()
        seen[step] = (counter.statements, counter.commits)
        return response

    page = measure("GET /signin", lambda: client.get("/signin"))
    assert page.status_code == 200
    response = measure("POST /signin", lambda: client.post(
        "/signin", data={"email": "ann@example.com", "password": "correct horse", "csrf_token": csrf_of(page)},
        csrf=False))
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/passcode")
    page = measure("GET /signin/passcode", lambda: client.get("/signin/passcode"))
    assert page.status_code == 200
    code = outbox.last_code(PHONE_E164)
    response = measure("POST /signin/passcode", lambda: client.post(
        "/signin/passcode", data={"code": code, "csrf_token": csrf_of(page)}, csrf=False))
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard")
    page = measure("GET /dashboard", lambda: client.get("/dashboard"))
    assert page.status_code == 200 and "Ann" in page.get_data(as_text=True)
    response = measure("POST /signout", lambda: client.post("/signout", data={"csrf_token": csrf_of(page)},
                                                                     csrf=False))
    assert response.status_code == 303
    # Signed out for real: the dashboard asks for a sign-in again.
    assert client.get("/dashboard").status_code in (302, 303)

    assert seen == {step: expected(step, counter) for step in EXPECTED}
