"""The first schema: accounts, sessions, verifications, SMS records, outbox, security events.

Generated with `python -m playhouse.migrations ... initial models`; a frozen copy, independent of models.py.
"""
from peewee import *

# Time defaults (created_at, password_at) are applied by the models in Python, not by the database.

def up(migrator, db):
    class User(Model):
        email = CharField(unique=True, max_length=254)
        name = CharField(max_length=100)
        password_hash = CharField()
        created_at = DateTimeField()
        disabled = BooleanField(default=False)
        two_step = CharField(max_length=8, default='none')
        phone = CharField(null=True, max_length=20)
        recovery_hash = CharField(null=True)
        off_until = DateTimeField(null=True)
        second_step_failures = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class AuthSession(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        password_at = DateTimeField()
        ip = CharField(max_length=45, default='')
        user_agent = CharField(default='')
        revoked_at = DateTimeField(index=True, null=True)
        class Meta:
            database = db
            table_name = 'auth_session'
    db.create_tables([AuthSession])

    class Challenge(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        phone = CharField(null=True, max_length=20)
        code_hash = CharField(null=True, max_length=64)
        code_sent_at = DateTimeField(null=True)
        attempts = IntegerField(default=0)
        verified_at = DateTimeField(null=True)
        recovery_hash = CharField(null=True)
        recovery_shown_at = DateTimeField(null=True)
        created_at = DateTimeField(index=True)
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'challenge'
    db.create_tables([Challenge])

    class OutboxMessage(Model):
        phone = CharField(index=True, max_length=20)
        body = TextField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'outbox_message'
    db.create_tables([OutboxMessage])

    class SecurityEvent(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=32)
        detail = CharField(default='')
        ip = CharField(max_length=45, default='')
        user_agent = CharField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'security_event'
            indexes = ((('user', 'created_at'), False),)
    db.create_tables([SecurityEvent])

    class SmsRecord(Model):
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        phone = CharField(max_length=20)
        ip = CharField(max_length=45, default='')
        purpose = CharField(max_length=16)
        to_confirmed_number = BooleanField(default=False)
        status = CharField(max_length=10, default='reserved')
        provider_status = CharField(max_length=64, default='')
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'sms_record'
            indexes = ((('user', 'created_at'), False), (('phone', 'created_at'), False), (('ip', 'created_at'), False))
    db.create_tables([SmsRecord])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sms_record'))
    migrator.migrate(migrator.drop_table('security_event'))
    migrator.migrate(migrator.drop_table('outbox_message'))
    migrator.migrate(migrator.drop_table('challenge'))
    migrator.migrate(migrator.drop_table('auth_session'))
    migrator.migrate(migrator.drop_table('user'))
