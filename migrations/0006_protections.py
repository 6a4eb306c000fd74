"""Protections that cannot be turned against the people they protect (issue 13).

- sms_record.client: the client the caps count by (an IPv4 address, or an
  IPv6 /64: one subscriber's whole range), so one IPv6 host cannot pose as
  millions of clients.
- user: the second-step lock's round and last try (a lock grows round by round
  and a stuck count expires), the previous recovery code's hash (a replay of
  the code that just succeeded is not a wrong guess).
- challenge.failures: wrong codes in one pending verification (it ends after
  LOCKOUT_FAILURES of them, without locking the account).
- password_throttle: consecutive wrong passwords per e-mail address (known or
  not, so the throttle says nothing about which addresses have accounts).
- rate_limit_counter: Flask-Limiter's counters in the database, shared by
  every worker (RATELIMIT_STORAGE_URI=database://, the default).
"""
from peewee import CharField, DateTimeField, FloatField, IntegerField, Model


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("sms_record", "client", CharField(max_length=45, default="")),
        migrator.add_index("sms_record", ("client", "created_at"), False),
        migrator.add_column("user", "lock_rounds", IntegerField(default=0)),
        migrator.add_column("user", "second_step_tried_at", DateTimeField(null=True)),
        migrator.add_column("user", "previous_recovery_hash", CharField(max_length=255, null=True)),
        migrator.add_column("user", "recovery_used_at", DateTimeField(null=True)),
        migrator.add_column("challenge", "failures", IntegerField(default=0)),
    )

    class PasswordThrottle(Model):
        key = CharField(max_length=64, primary_key=True)
        failures = IntegerField(default=0)
        retry_at = DateTimeField(null=True)
        updated_at = DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "password_throttle"

    class RateLimitCounter(Model):
        key = CharField(max_length=255, primary_key=True)
        count = IntegerField(default=0)
        expires_at = FloatField(index=True)

        class Meta:
            database = db
            table_name = "rate_limit_counter"

    db.create_tables([PasswordThrottle, RateLimitCounter])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "rate_limit_counter"')
    db.execute_sql('DROP TABLE IF EXISTS "password_throttle"')
    migrator.migrate(
        migrator.drop_index("sms_record", "sms_record_client_created_at"),
        migrator.drop_column("sms_record", "client"),
        migrator.drop_column("user", "lock_rounds"),
        migrator.drop_column("user", "second_step_tried_at"),
        migrator.drop_column("user", "previous_recovery_hash"),
        migrator.drop_column("user", "recovery_used_at"),
        migrator.drop_column("challenge", "failures"),
    )
