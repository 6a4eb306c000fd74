"""Cost as the tables grow: every query on the sign-in hot path uses an index.

The test records every statement the app runs while a user signs in with a
passcode (password, SMS caps, a wrong code and the lockout count, Resend, the
right code, the new session, the Dashboard's session lookup, the recovery
code), then asks the database for each statement's plan: EXPLAIN QUERY PLAN
on SQLite, EXPLAIN on PostgreSQL (with sequential scans discouraged, so a
plan that still scans a whole table means there is no index it could use).
A full scan would make each sign-in slower as accounts, sessions and SMS
records pile up.
"""
import re

import pytest

from conftest import RECOVERY_RE
from models import db, is_sqlite

PLANNED = re.compile(r"^\s*(SELECT|UPDATE|DELETE)\b", re.IGNORECASE)


class StatementRecorder:
    def __init__(self, database):
        self.database = database
        self.statements = []
        self.recording = False
        self._original = database.execute_sql

    def __enter__(self):
        def execute_sql(sql, params=None, *args, **kwargs):
            if self.recording and PLANNED.match(sql):
                self.statements.append((sql, tuple(params or ())))
            return self._original(sql, params, *args, **kwargs)

        self.database.execute_sql = execute_sql
        self.recording = True
        return self

    def __exit__(self, *exc):
        self.recording = False
        self.database.execute_sql = self._original

    def read_code(self, outbox):
        """The test's own look at the outbox is not the app's work: not recorded."""
        self.recording = False
        try:
            return outbox.last_code()
        finally:
            self.recording = True


def full_scans(database, sql, params):
    """The parts of `sql`'s plan that read a whole table (empty when every table is reached by an index)."""
    if is_sqlite():
        rows = database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        details = [row[-1] for row in rows]
        # "SCAN t" reads every row of t; "SEARCH t USING INDEX ..." does not.
        return [d for d in details if d.startswith("SCAN ") and "CONSTANT ROW" not in d]
    with database.atomic() as transaction:
        database.execute_sql("SET LOCAL enable_seqscan = off")
        plan = [row[0] for row in database.execute_sql("EXPLAIN " + sql, params).fetchall()]
        transaction.rollback()
    return [line.strip() for line in plan if "Seq Scan" in line]


def test_every_sign_in_query_uses_an_index(app, client, auth, outbox, clock):
    auth.signup()
    recovery = auth.enrol()
    auth.signout()

    database = db.obj
    with StatementRecorder(database) as recorder:
        auth.signin()
        client.get("/signin/passcode")
        right = recorder.read_code(outbox)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        assert client.post("/signin/passcode", data={"code": wrong}).status_code == 422
        clock.advance(31)
        assert client.post("/signin/resend").status_code == 303
        assert client.post("/signin/passcode", data={"code": recorder.read_code(outbox)}).status_code == 303
        assert client.get("/dashboard").status_code == 200
        auth.signout()
        auth.signin()
        response = client.post("/signin/recovery", data={"code": recovery})
        assert RECOVERY_RE.search(response.get_data(as_text=True))

    statements = list(dict.fromkeys(recorder.statements))
    assert len(statements) > 10, "the journey ran too few queries to mean anything"
    tables = " ".join(sql for sql, _ in statements)
    for table in ("challenge", "auth_session", "sms_record", '"user"' if not is_sqlite() else "user"):
        assert table in tables

    with database.connection_context():
        scans = {sql: full_scans(database, sql, params) for sql, params in statements}
    assert {sql: found for sql, found in scans.items() if found} == {}


@pytest.mark.parametrize("table, column", [
    ("challenge", "created_at"), ("challenge", "token_hash"), ("auth_session", "token_hash"),
    ("auth_session", "revoked_at"), ("sms_record", "created_at"), ("outbox_message", "created_at"),
])
def test_what_purge_and_the_hot_path_filter_on_is_indexed(app, table, column):
    """`flask purge` deletes by age: without these indexes it would read every row to find old ones."""
    with db.connection_context():
        indexed = {c for index in db.get_indexes(table) for c in index.columns[:1]}
    assert column in indexed
