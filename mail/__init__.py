"""Sending e-mail: one small interface, a mailer per backend, chosen by settings.

Like sms/: a mailer has one method, `send(to, subject, body)`, which returns
an id or raises `MailError`. `outbox` (the default) stores messages in the
database for development and tests (read at /dev/mail in debug); `smtp`
sends them with the standard library's smtplib.

Nothing calls a mailer during a request: mail is queued in the database
with the change it reports (mail/queue.py) and a mailer is used only by the
sender (mail/sender.py), apart from requests.
"""


from mail.base import Mailer, MailError  # noqa: F401  (the interface, as `mail.MailError`)


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
