"""Production server settings: `gunicorn -c gunicorn.conf.py` (the README's production section).

Read from the environment so one file serves every host:
  GUNICORN_BIND      address to listen on (default 127.0.0.1:8000; put a TLS proxy in front)
  WEB_CONCURRENCY    worker processes (default 2 per core plus 1, at most 8)
  GUNICORN_THREADS   threads per worker (default 4)
  GUNICORN_TIMEOUT   seconds a request may take before its worker is restarted (default 30)
  FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-* (default 127.0.0.1)
  METRICS_BIND       a second listener that serves only /metrics (an app setting, added to the binds here)
  LOG_FORMAT         json makes gunicorn's own log lines JSON too (an app setting)
  PROMETHEUS_MULTIPROC_DIR  where the workers' metrics files go (default: a fresh temporary directory)

The app's own settings (SECRET_KEY, DATABASE_URL, ...) are read by create_app().
"""
import glob
import os
import shutil
import tempfile

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
if os.environ.get("METRICS_BIND"):
    if os.environ["METRICS_BIND"] in bind:
        raise SystemExit("METRICS_BIND must be another address than GUNICORN_BIND: the metrics are not for the public.")
    bind.append(os.environ["METRICS_BIND"])

# Metrics under several workers (prometheus-client's multiprocess mode): each
# process writes its counters to files in this directory and a scrape adds
# them up. It must be set before the app (and prometheus_client) is imported,
# which is why it is done here. Files left by an earlier run would be counted
# again, so they are removed first; a directory made here is removed on exit.
_metrics_dir_made = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics_dir_made:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bestream-metrics-")
else:
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for _stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(_stale)

# Threads keep a worker useful while one request waits on the SMS provider
# (up to SMS_TIMEOUT_SECONDS); argon2 releases the GIL while it hashes.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 8))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# The app is loaded once in the master, which applies pending migrations
# before any worker exists: workers never race each other to migrate.
preload_app = True

# An SMS call is bounded at 10 s and a password hash well under 1 s, so 30 s
# only catches a stuck worker. Workers are recycled now and then so a slow
# leak cannot grow without bound.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200

# Small request lines and headers: nothing legitimate here needs more.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log on stderr: path only (%(U)s), never the query string, which
# could carry a `next=` target or anything a client puts there. No referer,
# no cookies. %(M)s is the request's duration in milliseconds.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

if (os.environ.get("LOG_FORMAT") or "text").lower() == "json":
    # gunicorn's own lines as JSON too (core/logs.py), one object per line for a log shipper. The root
    # logger is configured here as well: gunicorn replaces it whenever logconfig_dict is set.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.logs.json_formatter"}},
        "filters": {"request_id": {"()": "core.logs.RequestIdFilter"},
                    "access_id": {"()": "core.logs.AccessRequestIdFilter"}},
        "handlers": {
            "app": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                    "stream": "ext://sys.stderr"},
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["access_id"],
                       "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": ["app"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }


# Per-IP request limits counted in memory:// are per worker: with N workers a
# limit lets N times through. The default (database://) and redis:// are shared.
if workers > 1 and (os.environ.get("RATELIMIT_STORAGE_URI") or "").startswith("memory"):
    raise SystemExit(
        f"Refusing to start: RATELIMIT_STORAGE_URI is memory:// with {workers} workers, so each worker would count "
        "the per-IP limits on its own.\nLeave RATELIMIT_STORAGE_URI unset (database://), set it to redis://..., "
        "or run one worker (WEB_CONCURRENCY=1).")


def when_ready(server):
    """In the master, after the app is loaded (preload_app) and before any worker is forked."""
    from app import warm_up
    warm_up(server.app.wsgi())


def child_exit(server, worker):
    """A worker ended: its live gauges leave the metrics (its counters stay, they were counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics_dir_made:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
