"""For the operator's tools, not for people: health probes and Prometheus metrics.

- `/healthz`: the process answers. It touches nothing else, so a probe every
  second costs nothing.
- `/readyz`: the database answers and every migration in migrations/ is
  applied (one small query). 503 otherwise, with a one-word reason.
- `/metrics`: off (404) unless the operator asks for it, in one of two ways:
  METRICS_BIND, a separate listener that serves only the metrics (answered
  by `MetricsListener` below, before the site's app sees the request), or
  METRICS_TOKEN, and then the site's /metrics needs `Authorization: Bearer
  <token>`. So the metrics are never on the public site by accident.

None of these opens a session, sets a cookie or is rate-limited
(`NO_DATABASE` tells app.py not to borrow a connection for them either).
"""
import hmac

from flask import Blueprint, Response, current_app, request

from twostep import monitoring
from views.limiter import limiter

bp = Blueprint("ops", __name__)

# Endpoints that must not borrow a database connection before they run.
NO_DATABASE = {"ops.healthz", "ops.readyz", "ops.metrics"}


def _plain(text, status=200):
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process answers (liveness)."""
    return _plain("ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """The database answers and its schema is current (readiness)."""
    state = monitoring.readiness(current_app.config["EXPECTED_MIGRATIONS"])
    return _plain(state, 200 if state == monitoring.READY else 503)


@bp.get("/metrics", endpoint="metrics")
@limiter.exempt
def metrics_page():
    """Prometheus metrics, only with METRICS_TOKEN set and given as a Bearer token."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return _plain("not found", 404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = _plain("unauthorized", 401)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    body, content_type = monitoring.scrape(current_app.config["SMS_DAILY_LIMIT"])
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


class MetricsListener:
    """WSGI middleware: requests that came in on the METRICS_BIND listener get the metrics and nothing else.

    gunicorn puts the connection's socket in the environ, so the listener is
    known from the socket's own address, which a client cannot choose (the
    Host header could be anything). Every other listener goes to the site.
    """

    def __init__(self, site, port, daily_limit):
        self.site = site
        self.port = port
        self.daily_limit = daily_limit

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        try:
            local = sock.getsockname() if sock is not None else None
        except OSError:
            local = None
        if not (isinstance(local, tuple) and local[1] == self.port):
            return self.site(environ, start_response)
        if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
            return [b"not found\n"]
        body, content_type = monitoring.scrape(self.daily_limit)
        start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store"),
                                  ("Content-Length", str(len(body)))])
        return [body]


def metrics_port(bind):
    """The port of METRICS_BIND ("host:port"); SystemExit when it is not one."""
    host, _, port = (bind or "").rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"METRICS_BIND={bind!r} is not host:port (e.g. 127.0.0.1:9150).")
    return int(port)
