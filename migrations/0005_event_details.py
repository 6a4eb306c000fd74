"""Security event details as structured data, translated when shown (was: English text in `detail`).

`details` holds JSON: {"until": "2026-12-05T13:00"} for Off with an end
(UTC), {"to": "+81 ••••••••78"} for a new number (masked: never the full
number). The two English shapes the old `detail` column held are read once
here, then the column goes.
"""
import datetime
import json
import re

from peewee import CharField, TextField

_UNTIL = re.compile(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_TO = re.compile(r"to (\+?[0-9 •-]+)")


def _structured(text):
    if text == "until the recovery code is used":  # a lock only the recovery code ends (0006's locks)
        return {"until_recovery": True}
    match = _UNTIL.fullmatch(text or "")
    if match:
        return {"until": datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").isoformat(timespec="minutes")}
    match = _TO.fullmatch(text or "")
    if match:
        return {"to": match.group(1)}
    return {"note": text} if text else {}


def up(migrator, db):
    migrator.migrate(migrator.add_column("security_event", "details", TextField(default="{}")))
    with db.atomic():
        rows = db.execute_sql("SELECT id, detail FROM security_event WHERE detail <> ''").fetchall()
        for event_id, text in rows:
            db.execute_sql("UPDATE security_event SET details = %s WHERE id = %s" % (db.param, db.param),
                           (json.dumps(_structured(text), ensure_ascii=False), event_id))
    migrator.migrate(migrator.drop_column("security_event", "detail"))


def down(migrator, db):
    migrator.migrate(migrator.add_column("security_event", "detail", CharField(max_length=255, default="")))
    migrator.migrate(migrator.drop_column("security_event", "details"))
