"""What every SMS sender is: `send(to, text)`, and the one error it raises."""


class SmsError(Exception):
    """One "could not send" error for every kind of failure.

    `status` is short and safe to store and log: the provider's status code
    ("1", "29"), "http-503", "timeout", "connection" ... never the message text.
    """

    def __init__(self, status, reason=""):
        super().__init__(f"SMS not sent ({status}): {reason}" if reason else f"SMS not sent ({status})")
        self.status = status
        self.reason = reason


class SmsSender:
    name = "base"

    def send(self, to, text):
        """Send `text` to the E.164 number `to`; return the provider's id or raise SmsError."""
        raise NotImplementedError
