"""Production server settings: `gunicorn -c gunicorn.conf.py` (the README's production section).

Read from the environment so one file serves every host:
  GUNICORN_BIND      address to listen on (default 127.0.0.1:8000; put a TLS proxy in front)
  WEB_CONCURRENCY    worker processes (default 2 per core plus 1, at most 8)
  GUNICORN_THREADS   threads per worker (default 4)
  GUNICORN_TIMEOUT   seconds a request may take before its worker is restarted (default 30)
  FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-* (default 127.0.0.1)

The app's own settings (SECRET_KEY, DATABASE_URL, ...) are read by create_app().
"""
import os

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

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
access_log_format = '%(h)s [%(t)s] "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


# Per-IP request limits counted in memory:// are per worker: with N workers a
# limit lets N times through. The default (database://) and redis:// are shared.
if workers > 1 and (os.environ.get("RATELIMIT_STORAGE_URI") or "").startswith("memory"):
    raise SystemExit(
        f"Refusing to start: RATELIMIT_STORAGE_URI is memory:// with {workers} workers, so each worker would count "
        "the per-IP limits on its own.\nLeave RATELIMIT_STORAGE_URI unset (database://), set it to redis://..., "
        "or run one worker (WEB_CONCURRENCY=1).")
