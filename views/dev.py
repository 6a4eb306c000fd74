"""Development only: the SMS outbox at /dev/outbox and the mail outbox at /dev/mail (debug and tests only)."""
from flask import Blueprint

from models import MailMessage, OutboxMessage
from views.htmx import page

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox():
    """The newest messages the outbox sender 'delivered', so a person can read their passcode."""
    messages = OutboxMessage.select().order_by(OutboxMessage.id.desc()).limit(50)
    return page("dev/outbox.html", messages=list(messages))


@bp.get("/mail")
def mail():
    """The newest security e-mails the outbox mailer 'delivered' (MAIL_BACKEND=outbox)."""
    messages = MailMessage.select().order_by(MailMessage.id.desc()).limit(50)
    return page("dev/mail.html", messages=list(messages))
