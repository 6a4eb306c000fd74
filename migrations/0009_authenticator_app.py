"""An authenticator app beside SMS (issue 16).

user.totp_secret: the app's secret, sealed (AES-GCM, twostep/sealed.py); NULL: no app.
user.totp_step: the last time step whose code was accepted, so a code works once.
user.second_step_method: the method the account last used to sign in ('sms', 'totp'): the
second step opens on it.
challenge.secret: the sealed secret of an app being set up, until its first code confirms it.
"""
from peewee import BigIntegerField, CharField, DateTimeField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "totp_secret", TextField(null=True)),
        migrator.add_column("user", "totp_step", BigIntegerField(null=True)),
        migrator.add_column("user", "totp_added_at", DateTimeField(null=True)),
        migrator.add_column("user", "second_step_method", CharField(max_length=8, null=True)),
        migrator.add_column("challenge", "secret", TextField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("challenge", "secret"),
        migrator.drop_column("user", "second_step_method"),
        migrator.drop_column("user", "totp_added_at"),
        migrator.drop_column("user", "totp_step"),
        migrator.drop_column("user", "totp_secret"),
    )
