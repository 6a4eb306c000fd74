"""SQLite as the app opens it: WAL with synchronous=FULL (a confirmed change survives kill -9 and a
power cut: the crash test alone would pass with NORMAL), a busy timeout, foreign keys, and BEGIN
IMMEDIATE, read back from the very connections requests use."""
import sqlite3

from conftest import make_test_app


def test_every_connection_has_the_durable_pragmas(tmp_path):
    app = make_test_app(tmp_path)
    from models import db

    seen = {}

    @app.get("/_pragmas")
    def pragmas():
        seen.update({name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
                     for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")})
        return "ok"

    assert app.test_client().get("/_pragmas").status_code == 200
    assert seen["journal_mode"] == "wal"
    assert seen["synchronous"] == 2  # FULL (NORMAL is 1: the last commits may be lost on power loss)
    assert seen["busy_timeout"] == 10000
    assert seen["foreign_keys"] == 1
    # The file itself stays in WAL mode for any other process that opens it (the CLI, a backup).
    with sqlite3.connect(tmp_path / "test.sqlite3") as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_transactions_take_the_write_lock_at_begin(tmp_path):
    make_test_app(tmp_path)
    from models import db

    statements = []
    with db.connection_context():
        db.connection().set_trace_callback(statements.append)
        with db.atomic():
            db.execute_sql("SELECT 1")
        db.connection().set_trace_callback(None)
    assert statements[0].upper() == "BEGIN IMMEDIATE", statements
