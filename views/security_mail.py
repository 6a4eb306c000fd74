"""Security e-mails for changes made in a request: queued with the change, sent by the sender thread.

Each request tells accounts/notices.py the site's name and the page's
language (for notices it queues), makes sure this worker's mail sender
thread runs (mail/sender.py), and wakes it when the request queued a mail.
No request ever talks to the mail server.
"""
from flask import current_app, g

from accounts import notices
from mail import queue
from views.i18n import locale


def register_security_mail(app):
    notices.configure(app.config["SITE_NAME"], app.config["TIME_ZONE"])

    @app.before_request
    def _mail_context():
        g.notice_token = notices.use(current_app.config["SITE_NAME"], locale, current_app.config["TIME_ZONE"])
        if current_app.config.get("MAIL_QUEUE_THREAD"):
            current_app.extensions["mail_sender"].ensure_started()

    @app.teardown_request
    def _wake_sender(_exc):
        token = g.pop("notice_token", None)
        if token is not None:
            notices.done(token)
        if queue.take_queued_flag() and current_app.config.get("MAIL_QUEUE_THREAD"):
            current_app.extensions["mail_sender"].wake()
