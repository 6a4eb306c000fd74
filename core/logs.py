"""Log format and the request id every log line carries.

LOG_FORMAT=text (the default) writes one readable line per record;
LOG_FORMAT=json writes one JSON object per line (python-json-logger) for a
log shipper. Either way each record made while a request is served carries
that request's id, the same id the response sends in `X-Request-ID` and the
error page shows, so a user's "it said reference 3f2a..." finds the lines.

The id lives in a context variable, not in Flask's `g`, so this module needs
no Flask and records from any library (the SMS sender, peewee) get it too.
Nothing secret is logged here: the filter only adds the id.
"""
import contextvars
import logging
import re

from pythonjsonlogger.json import JsonFormatter

request_id = contextvars.ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
# An id a trusted proxy sends (nginx's $request_id is 32 hex digits) is kept only if it looks like one.
FORWARDED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


class AccessRequestIdFilter(logging.Filter):
    """gunicorn's access log lines: `request_id` is the X-Request-ID the app answered with."""

    def filter(self, record):
        atoms = record.args if isinstance(record.args, dict) else {}
        record.request_id = atoms.get("{x-request-id}o") or "-"
        return True


def json_formatter():
    """{"time": ISO 8601 UTC, "level", "logger", "message", "request_id", and any `extra` fields}."""
    return JsonFormatter(JSON_FIELDS, timestamp="time", rename_fields={"levelname": "level", "name": "logger"})


def configure(log_format):
    """Install the root handler once (gunicorn and `flask run` leave the root logger without one)."""
    log_format = (log_format or "text").lower()  # checked by app.py (config.log_format_problem)
    root = logging.getLogger()
    if root.handlers:
        # Someone (pytest, an embedding program) already decided where logs go: only add the id.
        for handler in root.handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
