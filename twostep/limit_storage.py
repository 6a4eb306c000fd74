"""Flask-Limiter's counters in the app's own database: RATELIMIT_STORAGE_URI=database:// (the default).

The `limits` library has no SQL storage. With its memory:// storage every
gunicorn worker counts on its own, so with 2 workers a limit of 20 POSTs a
minute lets 40 through; Redis shares the counts but is one more server to
run. This storage keeps one row per limit key and window in the database
every worker and host already shares, so the limits hold as written with no
extra moving part. It implements the fixed-window strategy (Flask-Limiter's
default): one upsert per limited request that returns the new count (RETURNING:
SQLite 3.35+, PostgreSQL), one statement and so atomic by itself.

Expired rows are reused by the next hit on the same key and deleted by
`flask --app app purge`.
"""
import contextlib
import sqlite3
import time

from limits.storage import Storage
from peewee import Case, PeeweeException

from models import Prepared, RateLimitCounter, db, is_sqlite

# RETURNING came with SQLite 3.35 (2021); an older SQLite (Debian 11 has 3.34) takes two statements.
SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


def _incr_query(p):
    """A new window once the old one is over, else one more in this window; the count after it comes back."""
    over = RateLimitCounter.expires_at <= p("now")
    return (RateLimitCounter
            .insert(key=p("key"), count=p("amount"), expires_at=p("expires_at"))
            .on_conflict(conflict_target=[RateLimitCounter.key],
                         update={RateLimitCounter.count: Case(None, [(over, p("amount"))],
                                                              RateLimitCounter.count + p("amount")),
                                 RateLimitCounter.expires_at: Case(None, [(over, p("expires_at"))],
                                                                   RateLimitCounter.expires_at)})
            .returning(RateLimitCounter.count))


# Built once (models.Prepared): every password and code submission runs it.
_INCR = Prepared(_incr_query)


@contextlib.contextmanager
def _connection():
    """Use the request's connection; outside a request open one for the call and give it back."""
    if not db.is_closed():
        yield
        return
    db.connect()
    try:
        yield
    finally:
        db.close()


class DatabaseStorage(Storage):
    """Fixed-window counters in the `rate_limit_counter` table (migration 0006)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return PeeweeException

    def incr(self, key, expiry, amount=1):
        """Add `amount` to the key's count in its window (a new window once the old one is over)."""
        now = time.time()
        with _connection():
            if SQLITE_RETURNING or not is_sqlite():
                return _INCR.row(key=key, amount=amount, now=now, expires_at=now + expiry)[0]
            with db.atomic():  # the upsert, then its count, in one transaction
                over = RateLimitCounter.expires_at <= now
                (RateLimitCounter
                 .insert(key=key, count=amount, expires_at=now + expiry)
                 .on_conflict(conflict_target=[RateLimitCounter.key],
                              update={RateLimitCounter.count: Case(None, [(over, amount)],
                                                                   RateLimitCounter.count + amount),
                                      RateLimitCounter.expires_at: Case(None, [(over, now + expiry)],
                                                                        RateLimitCounter.expires_at)})
                 .execute())
                return RateLimitCounter.select(RateLimitCounter.count).where(RateLimitCounter.key == key).scalar()

    def get(self, key):
        with _connection():
            return (RateLimitCounter.select(RateLimitCounter.count)
                    .where(RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time()).scalar()) or 0

    def get_expiry(self, key):
        with _connection():
            expires = (RateLimitCounter.select(RateLimitCounter.expires_at)
                       .where(RateLimitCounter.key == key).scalar())
        return expires if expires is not None else time.time()

    def check(self):
        try:
            with _connection():
                db.execute_sql("SELECT 1")
            return True
        except PeeweeException:
            return False

    def reset(self):
        with _connection(), db.atomic():
            return RateLimitCounter.delete().execute()

    def clear(self, key):
        with _connection(), db.atomic():
            RateLimitCounter.delete().where(RateLimitCounter.key == key).execute()
