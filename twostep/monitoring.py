"""What the operator's tools read: readiness, and the Prometheus scrape with the database's gauges.

`readiness()` is /readyz: the database answers and every migration the code
ships is applied (one small query, so a probe every second is cheap).
`scrape()` is /metrics: the counters of every process (prometheus-client's
multiprocess mode under gunicorn, see core/metrics.py) plus gauges read from
the database at that moment (the SMS budget left, the mail queue), so every worker and host
reports the same figure and nothing goes stale. No Flask in here.
"""
import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from core import clock
from mail import queue as mail_queue
from models import MIGRATIONS_DIR, db
from twostep import limits

log = logging.getLogger(__name__)

READY = "ready"
DATABASE_UNAVAILABLE = "database unavailable"
MIGRATIONS_PENDING = "migrations pending"


def expected_migrations():
    """Names of the migration scripts shipped with this code (what readiness wants applied)."""
    return frozenset(name[:-3] for name in os.listdir(MIGRATIONS_DIR) if name[:4].isdigit() and name.endswith(".py"))


def readiness(expected):
    """READY, DATABASE_UNAVAILABLE or MIGRATIONS_PENDING."""
    try:
        with db.connection_context():
            applied = {row[0] for row in db.execute_sql("SELECT name FROM schema_migration").fetchall()}
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the detail goes to the log
        log.warning("readiness: the database did not answer", exc_info=True)
        return DATABASE_UNAVAILABLE
    return MIGRATIONS_PENDING if set(expected) - applied else READY


class DatabaseGauges:
    """Gauges read from the database at scrape time."""

    def __init__(self, daily_limit):
        self.daily_limit = daily_limit

    def collect(self):
        left = GaugeMetricFamily("bestream_sms_budget_left",
                                 "SMS the global daily budget (SMS_DAILY_LIMIT) still allows in the last 24 hours.")
        limit = GaugeMetricFamily("bestream_sms_daily_limit", "The global daily SMS budget (SMS_DAILY_LIMIT).")
        left.add_metric([], max(0, self.daily_limit - limits.sms_used_last_day()))
        limit.add_metric([], self.daily_limit)
        yield left
        yield limit
        mail = GaugeMetricFamily("bestream_mail_queue", "Queued e-mails by status: pending (waiting for a try), "
                                 "sending, failed (given up; `flask mail retry`).", labels=["status"])
        counts = mail_queue.summary()
        for status in ("pending", "sending", "failed"):
            mail.add_metric([status], counts.get(status, 0))
        yield mail
        oldest = mail_queue.oldest_unsent_at()
        age = GaugeMetricFamily("bestream_mail_oldest_unsent_seconds",
                                "Age of the oldest e-mail not sent yet (0 when the queue is empty).")
        age.add_metric([], max(0.0, (clock.now() - oldest).total_seconds()) if oldest else 0.0)
        yield age


class _ThisProcess:
    """This process's own metrics (no PROMETHEUS_MULTIPROC_DIR: `flask run`, the tests), as one collector."""

    def collect(self):
        return REGISTRY.collect()


def scrape(daily_limit):
    """(body, content type) of the metrics page, every process's figures added up."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseGauges(daily_limit))
    with db.connection_context():
        return generate_latest(registry), CONTENT_TYPE_LATEST
