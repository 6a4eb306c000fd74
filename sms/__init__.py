"""Sending SMS: one small interface, a sender per backend, chosen by settings.

A sender has one method, `send(to, text)`, which returns the provider's
message id or raises `SmsError`. `outbox` (the default) stores messages for
development and tests; `vonage` sends them through Vonage's SMS API.
"""


from sms.base import SmsError, SmsSender  # noqa: F401  (the interface, as `sms.SmsError`)


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
