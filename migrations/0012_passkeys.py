"""Issue 16: passkeys (WebAuthn) beside SMS and the authenticator app.

`passkey`: one row per credential an account registered (twostep/passkeys.py):
its id and COSE public key as the authenticator gave them, the sign counter
last seen, the transports the browser reported, the backup flags (eligible:
a synced passkey; backed up: it is in a backup now), the name the owner
gave it, and when it was added and last used. A frozen copy of the model,
independent of models.py.

`challenge.ceremony` and `ceremony_at`: the WebAuthn challenge (base64url)
of the passkey ceremony in progress on that verification (a pending sign-in,
or a passkey being added), and when it was issued. It is used once: checking
a response clears it, whatever the outcome.

`user.second_step_method` may now also be 'passkey' (it is 8 characters wide).
"""
from peewee import *  # noqa: F401,F403  (the shape playhouse.migrations generates)


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("challenge", "ceremony", CharField(max_length=128, null=True)),
        migrator.add_column("challenge", "ceremony_at", DateTimeField(null=True)),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Passkey(Model):
        user = ForeignKeyField(User, backref="passkeys", on_delete="CASCADE")
        credential_id = CharField(max_length=1400, unique=True)
        public_key = TextField()
        sign_count = BigIntegerField(default=0)
        transports = CharField(max_length=255, default="")
        backup_eligible = BooleanField(default=False)
        backed_up = BooleanField(default=False)
        name = CharField(max_length=60)
        created_at = DateTimeField()
        last_used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "passkey"
            indexes = ((("user", "created_at"), False),)

    db.create_tables([Passkey])


def down(migrator, db):
    db.execute_sql('DROP TABLE "passkey"')
    migrator.migrate(migrator.drop_column("challenge", "ceremony_at"),
                     migrator.drop_column("challenge", "ceremony"))
