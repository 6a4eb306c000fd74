"""Operators and help articles: who made a security change, the mail outbox, help-article votes.

A frozen copy, independent of models.py: `security_event.actor` ("administrator"
for changes made with the CLI), `mail_message` (the development mailer's
outbox, shown at /dev/mail) and `help_vote` (one row per user and article).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('security_event', 'actor', CharField(max_length=32, default='')))

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class MailMessage(Model):
        to = CharField(index=True, max_length=254)
        subject = CharField()
        body = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'mail_message'
    db.create_tables([MailMessage])

    class HelpVote(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        article = CharField(max_length=64)
        helpful = BooleanField()
        voted_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_vote'
            indexes = ((('user', 'article'), True), (('article', 'helpful'), False))
    db.create_tables([HelpVote])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('help_vote'))
    migrator.migrate(migrator.drop_table('mail_message'))
    migrator.migrate(migrator.drop_column('security_event', 'actor'))
