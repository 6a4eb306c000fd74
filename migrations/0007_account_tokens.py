"""A complete account: verified e-mail, password changes and one-time links (issue 14).

A frozen copy, independent of models.py:
- `user.email_verified_at`: when the owner proved the address is theirs (NULL: not yet);
- `user.password_changed_at`: a one-time link made before it is dead;
- `user.must_set_password`: set by an administrator reset; the old password no longer signs in;
- `account_token`: one-time links (password reset, e-mail confirmation), only a SHA-256 digest of the
  token is stored, with its expiry and the moment it was used.
Existing accounts start unconfirmed: their addresses were never checked.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('user', 'email_verified_at', DateTimeField(null=True)),
        migrator.add_column('user', 'password_changed_at', DateTimeField(null=True)),
        migrator.add_column('user', 'must_set_password', BooleanField(default=False)),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class AccountToken(Model):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'account_token'
            indexes = ((('user', 'purpose', 'created_at'), False),)

    db.create_tables([AccountToken])


def down(migrator, db):
    db.execute_sql('DROP TABLE account_token')
    migrator.migrate(
        migrator.drop_column('user', 'must_set_password'),
        migrator.drop_column('user', 'password_changed_at'),
        migrator.drop_column('user', 'email_verified_at'),
    )
