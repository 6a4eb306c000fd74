"""The development mailer: messages go to a table instead of a mailbox.

Used by `make run` and the tests (MAIL_BACKEND=outbox, the default). In
debug mode /dev/mail lists the messages.
"""
import logging

from mail.base import Mailer
from models import MailMessage, db

log = logging.getLogger(__name__)


class OutboxMailer(Mailer):
    name = "outbox"

    def send(self, to, subject, body):
        with db.atomic():
            message = MailMessage.create(to=to[:254], subject=subject[:255], body=body)
        log.info("outbox mail %s: %s", message.id, subject)
        return f"outbox-{message.id}"


def recent(limit=50):
    """The newest messages, newest first (/dev/mail)."""
    return list(MailMessage.select().order_by(MailMessage.id.desc()).limit(limit))
