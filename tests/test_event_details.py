"""Security event details are stored as data and translated when shown; older English details are converted."""
import json

from playhouse.migrations import Runner

from conftest import PHONE_E164
from models import MIGRATIONS_DIR, SecurityEvent, db, open_database


def test_details_are_data_shown_in_the_readers_language(client, auth, outbox, clock):
    auth.signup()
    auth.enrol()
    auth.step_up()
    assert client.post("/two-step/off").headers["Location"] == "/account"
    with db.connection_context():
        event = SecurityEvent.get(SecurityEvent.kind == "two_step_off")
    assert set(event.details) == {"until"}  # a moment, not a sentence
    english = client.get("/account/activity", headers={"Accept-Language": "en"}).get_data(as_text=True)
    japanese = client.get("/account/activity", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "(until " in english  # the detail, written out in the reader's language
    assert "until" not in japanese and "まで" in japanese


def test_migration_0005_turns_old_english_details_into_data(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/old.sqlite3")
    runner = Runner(database, directory=MIGRATIONS_DIR)
    runner.up(target="0004_purge_indexes")
    database.execute_sql("INSERT INTO user (email, name, password_hash, created_at, disabled, two_step, "
                         "second_step_failures) VALUES ('a@example.com', 'A', 'x', '2026-12-01 10:00:00', 0, 'on', 0)")
    for detail in ("until 2026-12-05 13:00 UTC", "to +81 ••••••••78", "", "something else"):
        database.execute_sql("INSERT INTO security_event (user_id, kind, detail, ip, user_agent, created_at, actor) "
                             "VALUES (1, 'two_step_off', ?, '', '', '2026-12-01 10:00:00', '')", (detail,))
    runner.up()
    rows = [json.loads(value) for (value,) in database.execute_sql("SELECT details FROM security_event ORDER BY id")]
    assert rows == [{"until": "2026-12-05T13:00"}, {"to": "+81 ••••••••78"}, {}, {"note": "something else"}]
    columns = [column.name for column in database.get_columns("security_event")]
    assert "detail" not in columns and PHONE_E164 not in str(rows)
    database.close()
