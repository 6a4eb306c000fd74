"""Sending SMS: one small interface, a sender per backend, chosen by settings.

A sender has one method, `send(to, text)`, which returns the provider's
message id or raises `SmsError`. `outbox` (the default) stores messages for
development and tests; `vonage` sends them through Vonage's SMS API.
"""


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


def make_sender(config):
    """The sender the settings ask for. Raises SystemExit naming missing settings."""
    backend = (config.get("SMS_BACKEND") or "outbox").lower()
    if backend == "outbox":
        from sms.outbox import OutboxSender

        return OutboxSender()
    if backend == "vonage":
        from sms.vonage import VonageSender

        return VonageSender.from_config(config)
    raise SystemExit(f"SMS_BACKEND={backend!r} is not known; use 'outbox' or 'vonage'.")
