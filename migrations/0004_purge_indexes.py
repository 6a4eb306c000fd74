"""Indexes for `flask --app app purge`, which deletes rows by age.

challenge.created_at, sms_record.created_at and auth_session.revoked_at are
indexed since 0001; outbox_message.created_at was not, so purging old outbox
messages would read the whole table.
"""
from peewee import *  # noqa: F401,F403  (the shape playhouse.migrations generates)


def up(migrator, db):
    migrator.migrate(migrator.add_index("outbox_message", ("created_at",), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("outbox_message", "outbox_message_created_at"))
