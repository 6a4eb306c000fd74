"""Issue 14 (part B): the mail queue.

`queued_mail`: every e-mail is written here in the same transaction as the
change it reports, and sent apart from requests (mail/sender.py). A frozen
copy of the model, independent of models.py.
"""
from peewee import *  # noqa: F401,F403  (the shape playhouse.migrations generates)


def up(migrator, db):
    class QueuedMail(Model):
        to = CharField(max_length=254)
        subject = CharField(max_length=255)
        body = TextField()
        kind = CharField(max_length=32, default="")
        status = CharField(max_length=8, default="pending")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_error = CharField(max_length=255, default="")
        created_at = DateTimeField(index=True)
        sent_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "queued_mail"
            indexes = ((("status", "next_attempt_at"), False),)

    db.create_tables([QueuedMail])


def down(migrator, db):
    db.execute_sql('DROP TABLE "queued_mail"')
