"""What every mailer is: `send(to, subject, body)`, and the one error it raises."""


class MailError(Exception):
    """The message was not sent. The text is safe to log: never the message body."""


class Mailer:
    name = "base"

    def send(self, to, subject, body):
        """Send a plain-text message to the address `to`; return an id or raise MailError."""
        raise NotImplementedError
