"""Prometheus metrics: what the operator watches (sign-ins, second-step failures, SMS, latency).

Counters and histograms are module globals, incremented where things happen
(twostep/ and views/). Under gunicorn every worker is its own process, so
prometheus-client runs in its multiprocess mode: gunicorn.conf.py sets
PROMETHEUS_MULTIPROC_DIR before the app is imported, each process writes its
values to files there, and a scrape (twostep/monitoring.py) adds them up. Without that variable
(`flask run`, the tests) the process's own registry is used.

Gauges that describe the database (the SMS budget left) are not kept in
memory: twostep/monitoring.py reads them from the database when scraped, so
every worker and host reports the same figure and nothing goes stale. This
module is the ground floor (no database, no Flask), so every layer can count.

Labels only ever take values from small fixed sets (route patterns, cap
names, ISO country codes, purposes): never an email, an IP, a number or a
path a client typed, so the number of series stays bounded.
"""
from prometheus_client import Counter, Histogram

from core.phones import country_of

SIGNINS = Counter("bestream_signins", "Sign-in attempts by outcome.", ["outcome"])
SECOND_STEP_FAILURES = Counter("bestream_second_step_failures",
                               "Wrong passcodes and recovery codes (each counts towards the lock).")
SECOND_STEP_LOCKS = Counter("bestream_second_step_locks", "Accounts whose second step was locked.")
SMS = Counter("bestream_sms", "SMS by result (sent, failed, refused), reason, purpose and country.",
              ["result", "reason", "purpose", "country"])
MAIL = Counter("bestream_mail_sends", "Tries to send a queued e-mail, by result: sent, retry (kept for a later "
               "try), failed (given up after MAIL_MAX_ATTEMPTS).", ["result"])
REQUEST_SECONDS = Histogram("bestream_request_duration_seconds", "Time to answer a request, by route.",
                            ["route", "method"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
REQUESTS = Counter("bestream_requests", "Answered requests by route and status class.",
                   ["route", "method", "status"])

# Sign-in outcomes (the `outcome` label).
WRONG_PASSWORD = "wrong_password"
NEW_PASSWORD_NEEDED = "new_password_needed"  # the right password after an administrator reset
SECOND_STEP_ASKED = "second_step_asked"
SIGNED_IN_PASSWORD = "signed_in_password_only"
SIGNED_IN_PASSCODE = "signed_in_passcode"
SIGNED_IN_RECOVERY = "signed_in_recovery_code"
SIGNED_IN_AUTHENTICATOR = "signed_in_authenticator"
SIGNED_IN_PASSKEY = "signed_in_passkey"

METHODS = {"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"}


def signin(outcome):
    SIGNINS.labels(outcome).inc()


def second_step_failure(locked):
    SECOND_STEP_FAILURES.inc()
    if locked:
        SECOND_STEP_LOCKS.inc()


def sms(result, reason, purpose, phone):
    SMS.labels(result, _bounded(reason), _bounded(purpose), country_of(phone)).inc()


def _bounded(value):
    """A provider status or a name, kept short and plain so a label cannot grow without bound."""
    value = str(value or "")[:24]
    return value if value.replace("-", "").replace("_", "").isalnum() else "other"


def mail(result):
    MAIL.labels(result).inc()


def observe_request(route, method, status, seconds):
    method = method if method in METHODS else "OTHER"
    REQUEST_SECONDS.labels(route, method).observe(seconds)
    REQUESTS.labels(route, method, f"{status // 100}xx").inc()
