"""The mail queue: e-mails are written to the database, then sent apart from requests.

Why: a mail server that is slow or down must never slow a page or lose a
mail. `enqueue()` only adds a row, inside the caller's transaction, so the
mail exists exactly when the change it reports is committed (a rolled-back
change leaves no mail behind). mail/sender.py takes due rows one at a time
and sends them with the configured mailer, outside any transaction.

Each row moves pending -> sending -> sent. A failed send goes back to
pending with a later `next_attempt_at` (backoff: 1, 2, 4 ... minutes, at
most an hour between tries); after `max_attempts` it is marked failed and
kept, for the operator (`flask --app app mail status` / `mail retry`).
Claiming a row is one conditional UPDATE, so two workers never send the
same row at once; a worker killed mid-send leaves a row whose lease
(`next_attempt_at`) runs out, and it is sent again then: at least once,
never lost. No Flask in here.

A row can also be a request the sender resolves before any mail exists
(mail/sender.py's jobs: a "Forgot password?" request, whose account is
looked up off the request). Its job deletes the row in the transaction of
what it decided (`remove_claimed`), and may queue the mail that follows.
"""
import contextvars
import datetime

from peewee import fn

from models import QueuedMail, db
from core import clock, metrics

FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 3600

# Set when a mail was queued in this request or command, so the caller can wake the sender.
_queued = contextvars.ContextVar("mail_queued", default=False)


def enqueue(to, subject, body, *, kind="", wake=True):
    """Queue one plain-text e-mail. Call it inside the transaction of the change it reports.

    `wake=False`: the request does not wake the sender; the row waits for its next look at the queue.
    """
    now = clock.now()
    with db.atomic():  # a savepoint inside the caller's transaction, or its own
        row = QueuedMail.create(to=to[:254], subject=subject[:255], body=body, kind=kind[:32],
                                status="pending", next_attempt_at=now, created_at=now)
    if wake:
        _queued.set(True)
    return row


def waiting(kind, limit):
    """How many rows of `kind` wait to be sent (or are being sent), counted up to `limit` at most."""
    return (QueuedMail.select(QueuedMail.id)
            .where(QueuedMail.status.in_(("pending", "sending")), QueuedMail.kind == kind)
            .limit(limit).count())


def remove_claimed(row):
    """Delete a row this sender claimed and has dealt with (a request the sender resolves: mail/sender.py's
    jobs). Call it inside the transaction of what was done; False when the row is no longer this claim's
    (its lease ran out and another sender took it): the caller then rolls back and does nothing."""
    return bool(QueuedMail.delete().where(QueuedMail.id == row.id, QueuedMail.status == "sending",
                                          QueuedMail.attempts == row.attempts).execute())


def take_queued_flag():
    """True once after a mail was queued in this context (then False until the next one)."""
    queued = _queued.get()
    if queued:
        _queued.set(False)
    return queued


def retry_delay(attempts):
    """Seconds to wait after the `attempts`-th failed try: 60, 120, 240 ... at most 3600."""
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def claim_next(lease_seconds):
    """Take the oldest due row for sending, or None. Safe with several workers and hosts."""
    while True:
        now = clock.now()
        row = (QueuedMail.select()
               .where(QueuedMail.status.in_(("pending", "sending")), QueuedMail.next_attempt_at <= now)
               .order_by(QueuedMail.next_attempt_at, QueuedMail.id).first())
        if row is None:
            return None
        # Only one claimer wins: the row must still be due and unclaimed (or its lease over).
        with db.atomic():
            taken = (QueuedMail.update(status="sending", attempts=QueuedMail.attempts + 1,
                                       next_attempt_at=now + datetime.timedelta(seconds=lease_seconds))
                     .where(QueuedMail.id == row.id, QueuedMail.status.in_(("pending", "sending")),
                            QueuedMail.next_attempt_at <= now)
                     .execute())
        if taken:
            return QueuedMail.get_by_id(row.id)


def mark_sent(row):
    with db.atomic():
        QueuedMail.update(status="sent", sent_at=clock.now(), body="", last_error="").where(
            QueuedMail.id == row.id).execute()
    metrics.mail("sent")


def mark_failed(row, error, max_attempts):
    """Back to pending with a later try, or failed for good after `max_attempts`. Returns the new status."""
    status = "failed" if row.attempts >= max_attempts else "pending"
    with db.atomic():
        QueuedMail.update(status=status, last_error=str(error)[:255],
                          next_attempt_at=clock.now() + datetime.timedelta(seconds=retry_delay(row.attempts))
                          ).where(QueuedMail.id == row.id).execute()
    metrics.mail("failed" if status == "failed" else "retry")
    return status


def retry_failed():
    """Give every mail marked failed a new round of attempts, now. Returns how many."""
    with db.atomic():
        return (QueuedMail.update(status="pending", attempts=0, next_attempt_at=clock.now())
                .where(QueuedMail.status == "failed").execute())


def summary():
    """{status: count} for the whole queue, every status present (0 when none)."""
    counts = {status: 0 for status in ("pending", "sending", "sent", "failed")}
    for status, count in (QueuedMail.select(QueuedMail.status, fn.COUNT(QueuedMail.id))
                          .group_by(QueuedMail.status).tuples()):
        counts[status] = count
    return counts


def oldest_unsent_at():
    """When the oldest mail still waiting (or being sent) was queued; None when there is none."""
    return (QueuedMail.select(fn.MIN(QueuedMail.created_at))
            .where(QueuedMail.status.in_(("pending", "sending"))).scalar())


def unsent(limit=20):
    """The rows not sent yet (waiting, being sent, given up), oldest first."""
    return list(QueuedMail.select().where(QueuedMail.status != "sent")
                .order_by(QueuedMail.created_at, QueuedMail.id).limit(limit))
