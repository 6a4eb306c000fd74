"""Sending e-mail: one small interface, a mailer per backend, chosen by settings.

Like sms/: a mailer has one method, `send(to, subject, body)`, which returns
an id or raises `MailError`. `outbox` (the default) stores messages in the
database for development and tests (read at /dev/mail in debug); `smtp`
sends them with the standard library's smtplib.

The only mail the app sends is the security notice of twostep/notices.py,
and only after the change it reports has been committed.
"""


import re

# One address and nothing else: a dot-atom local part (no comma, quote, space, angle bracket,
# semicolon or colon, so it cannot be read as a list of addresses), and a domain of DNS labels.
ADDRESS_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def is_one_address(text):
    """True when `text` is exactly one plain e-mail address (no list, no display name), at most 254 characters."""
    return isinstance(text, str) and len(text) <= 254 and ADDRESS_RE.fullmatch(text) is not None


class MailError(Exception):
    """The message was not sent. The text is safe to log: never the message body."""


class Mailer:
    name = "base"

    def send(self, to, subject, body):
        """Send a plain-text message to the address `to`; return an id or raise MailError."""
        raise NotImplementedError


def make_mailer(config):
    """The mailer the settings ask for. Raises SystemExit naming missing settings."""
    backend = (config.get("MAIL_BACKEND") or "outbox").lower()
    if backend == "outbox":
        from mail.outbox import OutboxMailer

        return OutboxMailer()
    if backend == "smtp":
        from mail.smtp import SmtpMailer

        return SmtpMailer.from_config(config)
    raise SystemExit(f"MAIL_BACKEND={backend!r} is not known; use 'outbox' or 'smtp'.")
