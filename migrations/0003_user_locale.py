"""The account's language, chosen with the switcher in the header ('en', 'ja'; NULL: the browser's)."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("user", "locale", CharField(max_length=8, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("user", "locale"))
