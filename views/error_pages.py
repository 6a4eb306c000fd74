"""Error pages: a clear message and the right status, never a stack trace.

CSRF failures, unknown pages, oversized bodies and rate limits each get a
page (or the `main` fragment for htmx) saying what to do next.
"""
import logging

from flask import g, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from core.refusals import N_
from views.htmx import page
from views.i18n import text

log = logging.getLogger(__name__)

# Message ids, translated when the page is made (views/i18n.py).
MESSAGES = {
    400: N_("The request could not be understood. Please go back and try again."),
    403: N_("You are not allowed to open this page."),
    404: N_("This page does not exist."),
    405: N_("This page cannot be used that way."),
    413: N_("What you sent is too large."),
    415: N_("This page takes a form sent from its own page. Please go back and try again."),
    429: N_("Too many attempts. Please wait a little and try again."),
}
FILES_MESSAGE = N_("This form takes text only. Please go back and type your answer.")
CSRF_MESSAGE = N_("This form has expired or was not sent from this site. Reload the page and try again.")
OTHER_MESSAGE = N_("Something went wrong.")
UNEXPECTED_MESSAGE = N_("Something went wrong on our side. Please try again.")


def _error_page(status, message, retry_after=None):
    # The request id lets the operator find this request's log lines from a user's report.
    response = page("errors/error.html", status=status, status_code=status, message=text(message),
                    request_id=g.get("request_id"))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app):
    @app.before_request
    def _forms_only():
        """Posts are forms of text fields, sent the way a browser sends a form; anything else is refused
        before a form reads it (Flask-WTF would read a JSON body as the form, with objects for values)."""
        if request.method != "POST":
            return None
        if request.mimetype not in ("", "application/x-www-form-urlencoded", "multipart/form-data"):
            return _error_page(415, MESSAGES[415])
        if request.files:  # no form here takes a file
            return _error_page(400, FILES_MESSAGE)
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(400, CSRF_MESSAGE)

    @app.errorhandler(429)
    def too_many(error):
        response = _error_page(429, MESSAGES[429])
        if "Retry-After" not in response.headers:
            response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code or 500
        return _error_page(status, MESSAGES.get(status, OTHER_MESSAGE))

    @app.errorhandler(Exception)
    def unexpected(error):
        # Logged with the traceback for the operator; the user sees no detail.
        log.exception("unexpected error")
        return _error_page(500, UNEXPECTED_MESSAGE)
