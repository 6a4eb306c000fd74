"""The development sender: messages go to a table instead of a phone.

Used by `make run` and the tests. In debug mode /dev/outbox lists the
messages so a person can finish the journey without an SMS provider. The
server log gets one line per message with the digits masked.
"""
import logging
import re

from models import OutboxMessage, Prepared, utcnow
from sms.base import SmsSender
from core.phones import mask_phone

log = logging.getLogger(__name__)
# Built once (models.Prepared): load tests send one per sign-in, and this stands in for the provider.
_NEW = Prepared(lambda p: OutboxMessage.insert(phone=p("phone"), body=p("body"), created_at=p("created_at")))


class OutboxSender(SmsSender):
    name = "outbox"

    def send(self, to, text):
        message_id = _NEW.insert(phone=to, body=text, created_at=utcnow())
        log.info("outbox SMS %s to %s: %s", message_id, mask_phone(to), re.sub(r"\d", "•", text).replace("\n", " "))
        return f"outbox-{message_id}"


def recent(limit=50):
    """The newest messages, newest first (/dev/outbox)."""
    return list(OutboxMessage.select().order_by(OutboxMessage.id.desc()).limit(limit))
