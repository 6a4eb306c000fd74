"""Development pages (debug and tests only): the SMS outbox, the mail outbox and the designers' gallery."""
from flask import Blueprint

from mail import outbox as mail_outbox
from sms import outbox as sms_outbox
from views import gallery
from views.htmx import page

bp = Blueprint("dev", __name__, url_prefix="/dev")
bp.add_url_rule("/gallery", "gallery", gallery.index)
bp.add_url_rule("/gallery/<slug>", "gallery_entry", gallery.entry)


@bp.get("/outbox")
def outbox():
    """The newest messages the outbox sender 'delivered', so a person can read their passcode."""
    return page("dev/outbox.html", messages=sms_outbox.recent())


@bp.get("/mail")
def mail():
    """The newest security e-mails the outbox mailer 'delivered' (MAIL_BACKEND=outbox)."""
    return page("dev/mail.html", messages=mail_outbox.recent())
