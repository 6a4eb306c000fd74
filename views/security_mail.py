"""Security e-mails for changes made in a request, sent once the request's work is done.

Every request collects the security events it records (accounts/events.py);
when the request ends, accounts/notices.py mails the user about those that
were committed. See that module for why it is done this way.
"""
from flask import current_app, g

from accounts import events, notices
from views.i18n import locale


def register_security_mail(app):
    @app.before_request
    def _collect_events():
        g.security_events_token = events.start_collecting()

    @app.teardown_request
    def _mail_committed_events(_exc):
        token = g.pop("security_events_token", None)
        if token is None:
            return
        collected = events.stop_collecting(token)
        if collected:
            notices.deliver(current_app.extensions["mailer"], current_app.config["SITE_NAME"], collected,
                            locale=locale())
