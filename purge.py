"""Deleting what is no longer needed, so tables do not grow without bound (`flask --app app purge`).

Nothing here is needed by a rule any more when it goes:
  - challenges (pending sign-ins, set-ups, number changes) older than a day:
    a pending sign-in lives 10 minutes and a passcode 5; a set-up left
    half-way for a day simply starts again at the phone step;
  - SMS records past the retention (default 30 days; the caps look back one day);
  - outbox messages (development SMS) older than a day;
  - sessions signed out or revoked longer ago than the retention;
  - e-mails sent from the mail queue longer ago than the retention (default
    7 days; their bodies are already erased). Mails not sent are kept.
  - request-limit counters whose window is over, and runs of wrong passwords
    nobody has added to for a day (except those at the 100-in-a-row stop).
Accounts and their security activity are kept.

Rows go in small batches, each its own transaction, so a purge of a big
backlog never holds SQLite's write lock for long while people sign in.
"""
import datetime
import time

from accounts import MAX_CONSECUTIVE_PASSWORD_FAILURES
from core import clock
from models import (AuthSession, Challenge, OutboxMessage, PasswordThrottle, QueuedMail, RateLimitCounter, SmsRecord,
                    db)

BATCH = 1000
MIN_SMS_DAYS = 2  # the SMS caps count the last 24 hours; keep a margin


def _delete_in_batches(model, condition):
    deleted = 0
    while True:
        with db.atomic():
            key = model._meta.primary_key
            ids = [row[0] for row in model.select(key).where(condition).limit(BATCH).tuples()]
            count = model.delete().where(key.in_(ids)).execute() if ids else 0
        deleted += count
        if count < BATCH:
            return deleted


def purge(*, challenge_hours=24, sms_days=30, outbox_hours=24, session_days=30, mail_days=7, now=None):
    """Delete old rows; return {table: rows deleted}."""
    if sms_days < MIN_SMS_DAYS:
        raise ValueError(f"SMS records are what the caps count: keep at least {MIN_SMS_DAYS} days.")
    if challenge_hours < 1 or outbox_hours < 0 or session_days < 0 or mail_days < 0:
        raise ValueError("Keep challenges at least 1 hour; retentions cannot be negative.")
    now = now or clock.now()
    return {
        "challenge": _delete_in_batches(
            Challenge, Challenge.created_at < now - datetime.timedelta(hours=challenge_hours)),
        "sms_record": _delete_in_batches(
            SmsRecord, SmsRecord.created_at < now - datetime.timedelta(days=sms_days)),
        "outbox_message": _delete_in_batches(
            OutboxMessage, OutboxMessage.created_at < now - datetime.timedelta(hours=outbox_hours)),
        "auth_session": _delete_in_batches(
            AuthSession, AuthSession.revoked_at < now - datetime.timedelta(days=session_days)),
        "queued_mail": _delete_in_batches(
            QueuedMail, (QueuedMail.status == "sent") & (QueuedMail.sent_at < now - datetime.timedelta(days=mail_days))),
        # Flask-Limiter's windows run on the wall clock (time.time()), not the rules' clock.
        "rate_limit_counter": _delete_in_batches(RateLimitCounter, RateLimitCounter.expires_at < time.time()),
        "password_throttle": _delete_in_batches(
            PasswordThrottle, (PasswordThrottle.updated_at < now - datetime.timedelta(days=1))
            & (PasswordThrottle.failures < MAX_CONSECUTIVE_PASSWORD_FAILURES)),
    }
