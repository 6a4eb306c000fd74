"""Sending the mail queue: one thread per worker process, apart from requests.

Why a thread in each worker rather than a command run by a timer: nothing
more to install or schedule (`make run`, one gunicorn, or many hosts all
send their mail as they are), and a mail leaves within a second of the
change instead of at the next tick of a timer. The queue's claim is atomic
(mail/queue.py), so any number of workers and hosts can send side by side.
Operators who prefer a timer set MAIL_QUEUE_THREAD=0 and run
`flask --app app mail send` from cron or a systemd timer instead.

The thread starts lazily, in the process that serves requests: gunicorn
loads the app in its master and forks the workers, and threads do not
survive a fork. A request that queued a mail wakes the thread; otherwise it
looks for due retries every POLL_SECONDS. SMTP is only ever spoken here,
never on a request's thread. The same loop resolves the queue's requests
(`jobs`: a "Forgot password?" request becomes a link and its mail, or
nothing), so that work happens off the request too.
"""
import logging
import os
import threading

from mail import MailError
from mail import queue
from models import db

log = logging.getLogger("mail.sender")

POLL_SECONDS = 5


class MailSender:
    def __init__(self, mailer, *, max_attempts=20, timeout_seconds=10, jobs=None):
        self.mailer = mailer
        self.max_attempts = max_attempts
        # kind -> job(row): rows that are not a mail yet but a request to resolve first (a "Forgot
        # password?" request: accounts.resolve_password_reset). A job finishes its row itself, in its own
        # transaction (queue.remove_claimed), and may queue the mail it decides on; if it raises, the row
        # is retried like a mail that failed.
        self.jobs = dict(jobs or {})
        # A claimed row is someone else's to retry only after every SMTP step could have timed out.
        self.lease_seconds = 6 * timeout_seconds + 60
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._pid = None

    @classmethod
    def from_config(cls, mailer, config, jobs=None):
        return cls(mailer, max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 20),
                   timeout_seconds=int(config.get("MAIL_TIMEOUT_SECONDS") or 10), jobs=jobs)

    def send_due(self, limit=None):
        """Send every due mail once (this thread, now); return {"sent": n, "retry": n, "failed": n}."""
        done = {"sent": 0, "retry": 0, "failed": 0}
        with db.connection_context():
            while limit is None or sum(done.values()) < limit:
                if self._stop.is_set():
                    break
                row = queue.claim_next(self.lease_seconds)
                if row is None:
                    break
                job = self.jobs.get(row.kind)
                try:
                    if job is not None:
                        job(row)
                    else:
                        self.mailer.send(row.to, row.subject, row.body)
                except MailError as error:
                    status = queue.mark_failed(row, error, self.max_attempts)
                    done["failed" if status == "failed" else "retry"] += 1
                    log.error("mail not sent: id=%s kind=%s attempt=%s backend=%s reason=%s%s", row.id, row.kind,
                              row.attempts, self.mailer.name, error,
                              " (given up: see `flask mail status`)" if status == "failed" else " (will retry)")
                except Exception as error:  # a bug in one mail must not stop the others
                    status = queue.mark_failed(row, f"{type(error).__name__}", self.max_attempts)
                    done["failed" if status == "failed" else "retry"] += 1
                    log.exception("mail not sent: id=%s kind=%s", row.id, row.kind)
                else:
                    if job is not None:  # resolved, not sent: the mail it queued (if any) comes next
                        log.info("mail request resolved: id=%s kind=%s", row.id, row.kind)
                        continue
                    queue.mark_sent(row)
                    done["sent"] += 1
                    log.info("mail sent: id=%s kind=%s attempt=%s", row.id, row.kind, row.attempts)
        return done

    # The thread.

    def ensure_started(self):
        """Start the thread in this process if it is not running (cheap to call on every request)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._stop.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
            self._thread.start()

    def wake(self):
        """Look at the queue now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout=None):
        """Stop the thread after the mail it is sending (tests and shutdown)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def _run(self):
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.send_due()
            except Exception as error:  # e.g. the database is down for a moment: try again at the next poll
                # One line, no traceback: an outage would otherwise fill the log every POLL_SECONDS.
                log.error("mail queue: could not read the queue (%s: %s); trying again in %s s",
                          type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "", POLL_SECONDS)
            self._wake.wait(POLL_SECONDS)
