"""Issue 14 (part B): the mail queue, and step-up for sensitive changes.

`queued_mail`: every e-mail is written here in the same transaction as the
change it reports, and sent apart from requests (mail/sender.py). A frozen
copy of the model, independent of models.py.

`user.time_zone`: the IANA zone the user chose on the Account page (NULL:
the site's TIME_ZONE).

`auth_session.reauth_at` and `second_factor_at`: when this session last typed
its password for a sensitive change (signing in does not count) and
confirmed a passcode or the recovery code for one (NULL: never, or used up).
"""
from peewee import *  # noqa: F401,F403  (the shape playhouse.migrations generates)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("auth_session", "reauth_at", DateTimeField(null=True)),
        migrator.add_column("auth_session", "second_factor_at", DateTimeField(null=True)),
        migrator.add_column("user", "time_zone", CharField(max_length=64, null=True)),
    )

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
    migrator.migrate(migrator.drop_column("auth_session", "reauth_at"),
                     migrator.drop_column("auth_session", "second_factor_at"),
                     migrator.drop_column("user", "time_zone"))
    db.execute_sql('DROP TABLE "queued_mail"')
