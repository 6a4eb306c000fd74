"""The SMTP mailer (MAIL_BACKEND=smtp), with the standard library's smtplib.

One connection per message: security notices are rare, and a fresh
connection cannot be left half-broken by an earlier failure. Every step is
bounded by MAIL_TIMEOUT_SECONDS. STARTTLS (MAIL_USE_TLS, on by default) and
port 465 verify the server's certificate with the system's trust store.
"""
import email.utils
import smtplib
import ssl
from email.message import EmailMessage

from core.addresses import is_one_address
from mail.base import Mailer, MailError


class SmtpMailer(Mailer):
    name = "smtp"

    def __init__(self, server, port, sender, *, username=None, password=None, use_tls=True, timeout=10,
                 ssl_context=None, implicit_tls=None):
        self.server = server
        self.port = port
        # Port 465 ("submissions") speaks TLS from the first byte; other ports may upgrade with STARTTLS.
        self.implicit_tls = port == 465 if implicit_tls is None else implicit_tls
        self.sender = sender
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.timeout = timeout
        self.ssl_context = ssl_context

    @classmethod
    def from_config(cls, config):
        if not config.get("MAIL_FROM"):
            raise SystemExit("MAIL_BACKEND=smtp needs MAIL_FROM (the From address of security e-mails).")
        return cls(config.get("MAIL_SERVER") or "localhost", int(config.get("MAIL_PORT") or 587),
                   config["MAIL_FROM"], username=config.get("MAIL_USERNAME"), password=config.get("MAIL_PASSWORD"),
                   use_tls=bool(config.get("MAIL_USE_TLS")), timeout=int(config.get("MAIL_TIMEOUT_SECONDS") or 10))

    def _context(self):
        return self.ssl_context or ssl.create_default_context()

    def _connect(self):
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.server, self.port, timeout=self.timeout, context=self._context())
        connection = smtplib.SMTP(self.server, self.port, timeout=self.timeout)
        if self.use_tls:
            connection.starttls(context=self._context())
        return connection

    def send(self, to, subject, body):
        # Exactly one recipient, the address as stored: never a list a comma or a
        # display name could smuggle into the To header and the SMTP envelope.
        if not is_one_address(to):
            raise MailError("refused: the recipient is not exactly one plain e-mail address")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = email.utils.formatdate(usegmt=True)
        message_id = email.utils.make_msgid(domain=email.utils.parseaddr(self.sender)[1].rpartition("@")[2] or None)
        message["Message-ID"] = message_id
        message.set_content(body)
        try:
            with self._connect() as connection:
                if self.username:
                    connection.login(self.username, self.password or "")
                connection.send_message(message, to_addrs=[to])
        except (OSError, smtplib.SMTPException) as error:
            # OSError covers refused connections, timeouts and TLS failures.
            raise MailError(f"{type(error).__name__}: {str(error)[:200]}") from None
        return message_id
