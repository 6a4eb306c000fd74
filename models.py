"""Peewee models and the database handle.

`db` is a proxy bound by `init_database()` so the same models serve SQLite
(the default, a file in `instance/`) and PostgreSQL (`DATABASE_URL`). The
schema is owned by the numbered scripts in `migrations/`: `migrate()` applies
the pending ones, on first start and on `flask --app app db upgrade`.

Rows hold no plain secret: passwords and recovery codes are argon2 hashes,
passcodes are keyed HMACs, authenticator-app secrets are sealed with
AES-GCM (twostep/sealed.py), session and verification tokens are SHA-256
digests of what the browser holds.
"""
import contextlib
import fcntl
import json
import os

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    Insert,
    IntegerField,
    Model,
    Node,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner

from core import clock

db = DatabaseProxy()

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

# WAL lets readers run beside the one writer; synchronous=FULL makes every
# commit durable across a power cut or kill -9 (docs/security.md, "Logs and durability"); the busy
# timeout makes a second writer wait instead of failing with "locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "busy_timeout": 10000,
    "foreign_keys": 1,
}


# Connections are pooled per process: a request borrows one and gives it back
# instead of opening a file or a socket, setting the pragmas and reading the
# schema each time (about half of a passcode check's cost without the pool).
# `timeout` here is how long a request waits for a free connection.
POOL = {"max_connections": 32, "timeout": 10}


def open_database(url):
    """Return an unconnected, pooled Peewee database for a `DATABASE_URL`."""
    scheme, rest = url.split(":", 1)
    pooled = scheme if scheme.endswith("+pool") else scheme + "+pool"
    if scheme.startswith("sqlite"):
        # IMMEDIATE takes the write lock at BEGIN, so a transaction that reads
        # then writes waits for the lock instead of failing half-way.
        # A pooled connection moves between threads, one thread at a time.
        return connect_url(pooled + ":" + rest, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                           check_same_thread=False, **POOL)
    # A PostgreSQL connection idle for 5 minutes is replaced: firewalls and
    # server restarts end idle connections silently.
    return connect_url(pooled + ":" + rest, autorollback=True, stale_timeout=300, **POOL)


def release_connections():
    """Close every idle pooled connection (before forking workers, and between tests)."""
    database = db.obj
    if database is not None and hasattr(database, "close_idle"):
        if not database.is_closed():
            database.close()
        database.close_idle()


def init_database(url):
    """Bind the proxy `db` to the database at `url`; return it."""
    database = open_database(url)
    db.initialize(database)
    return database


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


# Any fixed number: the PostgreSQL advisory lock that lets one process at a time migrate.
_MIGRATION_LOCK_ID = 70410004


def migrate():
    """Apply the pending numbered migrations; return the names applied.

    Several app servers may start at once against one database: a lock makes
    them take turns, so the second finds nothing left to do instead of
    creating the same tables twice.
    """
    with db.connection_context():
        if is_sqlite():
            with _sqlite_migration_lock():
                return Runner(db.obj, directory=MIGRATIONS_DIR).up()
        db.execute_sql("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_ID,))
        try:
            return Runner(db.obj, directory=MIGRATIONS_DIR).up()
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_ID,))


@contextlib.contextmanager
def _sqlite_migration_lock():
    """An exclusive lock file beside the SQLite database (none for :memory:)."""
    path = db.obj.database
    if not path or path == ":memory:":
        yield
        return
    with open(path + ".migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class _Slot(Node):
    """Where a value goes in a Prepared query: the driver's placeholder, its name noted in SQL order."""

    def __init__(self, name, order):
        self.name, self.order = name, order

    def __sql__(self, ctx):
        self.order.append(self.name)
        return ctx.literal(ctx.state.param or "?")


class Prepared:
    """A hot query whose SQL Peewee builds once; each later run sends that SQL with new values.

    Building the SQL is most of what a query costs here: about 0.3 ms of
    Python for a two-table SELECT, against 0.01 ms for SQLite to run it
    (bench/README.md). The requests of a sign-in run the same few queries
    over and over, so those few are built once per database type.

    `build(p)` returns the Peewee query with `p("name")` wherever a value
    goes. Values are always sent as parameters, never spliced into the SQL,
    and are given by name to `first`, `execute` or `insert`.
    """

    # What a cursor wrapper holds about one result (set by its `initialize()`), not the rows themselves.
    _ROW_STATE_SKIP = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))
    _ALL = []  # every Prepared query made at import time, for `build_all()`

    def __init__(self, build):
        self._build = build
        self._built = {}  # database class -> (query, sql, names in SQL order)
        self._row_state = {}  # database class -> what Peewee worked out about the result's columns
        Prepared._ALL.append(self)

    @classmethod
    def build_all(cls):
        """Build every prepared query for the bound database now (gunicorn's master, before forking); how many."""
        for prepared in cls._ALL:
            prepared._query()
        return len(cls._ALL)

    def _query(self):
        database = db.obj
        key = type(database)
        built = self._built.get(key)
        if built is None:
            order = []
            query = self._build(lambda name: _Slot(name, order))
            if isinstance(query, Insert) and database.returning_clause and not query._returning:
                query = query.returning(query.model._meta.primary_key)  # what Peewee adds when it runs an insert
            sql, params = database.get_sql_context().parse(query)  # this database's dialect, bound or not
            if params:  # a value left in the query would be sent with every run, whatever it is then
                raise ValueError(f"Prepared queries take every value as a slot: {params!r} in {sql}")
            built = self._built[key] = (query, sql, tuple(order))
        return built

    def _run(self, values):
        query, sql, order = self._query()
        if set(values) != set(order):
            raise TypeError(f"Prepared query wants {sorted(set(order))}, got {sorted(values)}")
        return query, db.execute_sql(sql, [values[name] for name in order])

    def names(self):
        """The names of the query's slots."""
        return set(self._query()[2])

    def row(self, **values):
        """The first row as a tuple of plain values, or None (e.g. a SELECT of counts)."""
        return self._run(values)[1].fetchone()

    def first(self, **values):
        """The first row as the query's models (joined models included), or None.

        Peewee works out which column goes to which model of a join from the
        cursor's description, for every result (about 50 µs for a session and
        its account); the same SQL always has the same columns, so that work
        is kept from the first result and given to the next ones' wrappers.
        """
        query, cursor = self._run(values)
        wrapper = query._get_cursor_wrapper(cursor)  # the wrapper Peewee itself would build (peewee pinned)
        key = type(db.obj)
        state = self._row_state.get(key)
        if state is not None:
            wrapper.__dict__.update(state)
            wrapper.initialized = True
        for row in wrapper:
            if state is None:
                self._row_state[key] = {name: value for name, value in wrapper.__dict__.items()
                                        if name not in self._ROW_STATE_SKIP}
            return row
        return None

    def execute(self, **values):
        """Run an UPDATE or DELETE; the number of rows it changed."""
        return self._run(values)[1].rowcount

    def insert(self, **values):
        """Run an INSERT; the new row's id."""
        cursor = self._run(values)[1]
        return cursor.fetchone()[0] if db.obj.returning_clause else cursor.lastrowid


def utcnow():
    """Naive UTC now from the rules' clock (core/clock.py), so rows made in tests follow the test's clock."""
    return clock.now()


class JSONField(TextField):
    """A small dict kept as JSON text, the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return json.loads(value) if value else {}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class User(BaseModel):
    """An account. Two-step verification state lives on the row itself so that
    turning it on is one UPDATE inside one transaction."""

    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=100)
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)
    disabled = BooleanField(default=False)
    # 'none' (not set up), 'on', or 'off' (kept, but not asked for a while).
    two_step = CharField(max_length=8, default="none")
    phone = CharField(max_length=20, null=True)  # E.164, only once confirmed
    recovery_hash = CharField(max_length=255, null=True)
    off_until = DateTimeField(null=True)
    # Consecutive wrong passcodes and recovery codes (docs/security.md, "The second step and its lock").
    second_step_failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    # The language chosen with the switcher ('en', 'ja'); None: the browser's (migration 0003).
    locale = CharField(max_length=8, null=True)
    # Migration 0006. Locks so far in this run of failures (each lasts twice the one before), and
    # when the last try was counted (a count left by a request that died expires with the lock time).
    lock_rounds = IntegerField(default=0)
    second_step_tried_at = DateTimeField(null=True)
    # The recovery code used last and when: a replay of it is "already used", not a wrong guess.
    previous_recovery_hash = CharField(max_length=255, null=True)
    recovery_used_at = DateTimeField(null=True)
    # When the owner followed the confirmation link (NULL: not confirmed), migration 0007.
    email_verified_at = DateTimeField(null=True)
    # One-time links made before the last password change are dead (accounts.py).
    password_changed_at = DateTimeField(null=True)
    # Set by an administrator reset: the old password no longer signs in; a one-time link sets a new one.
    must_set_password = BooleanField(default=False)
    # The IANA time zone chosen on the Account page; None: the site's TIME_ZONE (migration 0011).
    time_zone = CharField(max_length=64, null=True)
    # An authenticator app (migration 0009): its secret sealed with a key derived from
    # SECRET_KEY (twostep/sealed.py), the last time step accepted (a code works once),
    # when it was added; and the method the last sign-in used ('sms', 'totp', 'passkey').
    totp_secret = TextField(null=True)
    totp_step = BigIntegerField(null=True)
    totp_added_at = DateTimeField(null=True)
    second_step_method = CharField(max_length=8, null=True)

    # Flask-Login's user protocol.
    is_active = property(lambda self: not self.disabled)
    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return str(self.id)


class AuthSession(BaseModel):
    """One signed-in browser. The cookie carries a random token; this row is
    what makes it valid, so signing out (or revoking) really ends it."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    password_at = DateTimeField(default=utcnow)  # last password entry (sign-in or /reauth)
    # Step-up for sensitive changes (migration 0011): the password typed on /reauth (signing in does
    # not count) and a passcode or recovery code confirmed for a change; both cleared by the change.
    reauth_at = DateTimeField(null=True)
    second_factor_at = DateTimeField(null=True)
    ip = CharField(max_length=45, default="")
    user_agent = CharField(max_length=255, default="")
    revoked_at = DateTimeField(null=True, index=True)


class Challenge(BaseModel):
    """A verification in progress: enrolment, sign-in, Enable, or a number change.

    It is bound to one browser by a token kept in that browser's session, holds
    at most one live passcode (a resend overwrites the hash, so the old code
    stops working), and for enrolment records the wizard's progress.
    """

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="challenges", on_delete="CASCADE")
    purpose = CharField(max_length=16)  # enrol | signin | enable | change
    phone = CharField(max_length=20, null=True)
    code_hash = CharField(max_length=64, null=True)
    code_sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    verified_at = DateTimeField(null=True)
    recovery_hash = CharField(max_length=255, null=True)
    recovery_shown_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    # Wrong codes (passcodes and recovery codes) in this verification; it ends at LOCKOUT_FAILURES (0006).
    failures = IntegerField(default=0)
    # purpose "totp": the sealed secret of an authenticator app being set up (migration 0009).
    secret = TextField(null=True)
    # The WebAuthn challenge (base64url) of a passkey ceremony on this verification, and when it was
    # issued (migration 0012): a pending sign-in's, or a passkey being added ("passkey"). Used once.
    ceremony = CharField(max_length=128, null=True)
    ceremony_at = DateTimeField(null=True)


class Passkey(BaseModel):
    """A passkey (WebAuthn credential) of an account, as a second step beside SMS (migration 0012).

    Only public data: the credential id and COSE public key (base64url), the
    sign counter last seen, the transports the browser reported, the backup
    flags, the owner's name for it, and when it was added and last used.
    """

    user = ForeignKeyField(User, backref="passkeys", on_delete="CASCADE")
    credential_id = CharField(max_length=1400, unique=True)
    public_key = TextField()
    sign_count = BigIntegerField(default=0)
    transports = CharField(max_length=255, default="")  # comma-separated, e.g. "hybrid,internal"
    backup_eligible = BooleanField(default=False)  # a synced (multi-device) passkey
    backed_up = BooleanField(default=False)
    name = CharField(max_length=60)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "created_at"), False),)


class SmsRecord(BaseModel):
    """Every SMS attempt, sent or not: the caps count these rows, and operators
    read them. Never the message text (it holds the passcode)."""

    user = ForeignKeyField(User, null=True, backref="sms_records", on_delete="SET NULL")
    phone = CharField(max_length=20)
    ip = CharField(max_length=45, default="")
    # What the per-client caps count by: the IPv4 address, or the IPv6 /64 (migration 0006).
    client = CharField(max_length=45, default="")
    purpose = CharField(max_length=16)
    to_confirmed_number = BooleanField(default=False)
    # reserved -> sent | failed; refused when a cap stopped it before sending.
    status = CharField(max_length=10, default="reserved")
    provider_status = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = (
            (("user", "created_at"), False),
            (("phone", "created_at"), False),
            (("ip", "created_at"), False),
            (("client", "created_at"), False),
        )


class OutboxMessage(BaseModel):
    """What the outbox SMS sender 'delivered': read at /dev/outbox and by tests."""

    phone = CharField(max_length=20, index=True)
    body = TextField()
    created_at = DateTimeField(default=utcnow, index=True)  # purged by age (migration 0004)


class SecurityEvent(BaseModel):
    """The account's security activity: what changed, when, from where."""

    user = ForeignKeyField(User, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=32)
    # What the kind needs said, as data translated when shown (core/translations.py `event_details`):
    # {"until": "2026-12-05T13:00"} (UTC) or {"to": "+81 ••••••••78"} (masked). Never a code or a full number.
    details = JSONField(default=dict)
    ip = CharField(max_length=45, default="")
    user_agent = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow)
    # Who made the change when it was not the user: "administrator" for the CLI.
    actor = CharField(max_length=32, default="")

    class Meta:
        indexes = ((("user", "created_at"), False),)


class MailMessage(BaseModel):
    """What the outbox mailer 'delivered' (MAIL_BACKEND=outbox): read at /dev/mail and by tests."""

    to = CharField(max_length=254, index=True)
    subject = CharField(max_length=255)
    body = TextField()
    created_at = DateTimeField(default=utcnow)


class AccountToken(BaseModel):
    """A one-time link sent by e-mail: a password reset or an e-mail confirmation.

    Only the SHA-256 digest of the token is stored; a link works once, until
    `expires_at`, and a reset link made before the password last changed is
    dead (accounts.py checks both).
    """

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    purpose = CharField(max_length=16)  # reset | verify
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "purpose", "created_at"), False),)


class QueuedMail(BaseModel):
    """An e-mail waiting to be sent, written in the same transaction as the change it reports.

    The request only adds the row; a sender thread in each worker (mail/sender.py)
    sends it, retrying with backoff while the mail server is down. status is
    pending -> sending -> sent, or failed after MAIL_MAX_ATTEMPTS (kept for the
    operator: `flask --app app mail status`, `mail retry`). next_attempt_at is
    also the lease of a row being sent: a worker that dies mid-send leaves it to
    be taken again once that time has passed.
    """

    to = CharField(max_length=254)
    subject = CharField(max_length=255)
    body = TextField()  # emptied once sent: a sent mail is not kept in plain text
    kind = CharField(max_length=32, default="")  # the security event it reports, for the operator
    status = CharField(max_length=8, default="pending")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_error = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class HelpVote(BaseModel):
    """One signed-in user's answer to "Was this article helpful?" for one article.

    The unique (user, article) index is what makes it one vote per user per
    article; voting again changes the row (an upsert), never adds one.
    """

    user = ForeignKeyField(User, backref="help_votes", on_delete="CASCADE")
    article = CharField(max_length=64)
    helpful = BooleanField()
    voted_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "article"), True), (("article", "helpful"), False))


class PasswordThrottle(BaseModel):
    """Consecutive wrong passwords for one e-mail address (accounts/throttle.py).

    Keyed by a keyed hash of the address, whether an account has it or not:
    the throttle must not tell which addresses have accounts.
    """

    key = CharField(max_length=64, primary_key=True)
    failures = IntegerField(default=0)
    retry_at = DateTimeField(null=True)
    updated_at = DateTimeField(index=True)


class RateLimitCounter(BaseModel):
    """Flask-Limiter's fixed-window counters (twostep/limit_storage.py): one row per key and window."""

    key = CharField(max_length=255, primary_key=True)
    count = IntegerField(default=0)
    expires_at = FloatField(index=True)  # seconds since the epoch, as the limits library counts


ALL_MODELS = [User, AuthSession, Challenge, Passkey, SmsRecord, OutboxMessage, SecurityEvent, MailMessage, QueuedMail, HelpVote,
              AccountToken, PasswordThrottle, RateLimitCounter]
