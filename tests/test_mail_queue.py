"""Mail that never blocks a page and is never lost (mail/queue.py, mail/sender.py).

Each e-mail is queued in the transaction of the change it reports and sent
by the sender thread, with retries. The tests use the suite's real SMTP
server (stopped and started again on the same port) and a silent one that
accepts connections and never answers. Nothing asserts on wall time: "does
not block" is shown by pages answering while the sender thread is stuck
talking to the silent server, and by SMTP being spoken on that thread only.
"""
import threading
import time

import pytest
from conftest import PHONE, Auth, BrowserLikeClient, Outbox, database_urls, make_test_app
from smtp_server import SilentSmtpServer, SmtpServer, free_port

MAIL_FROM = "beSTREAM <no-reply@example.com>"


def smtp_app(tmp_path, backend, port, **overrides):
    settings = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                "MAIL_FROM": MAIL_FROM, **overrides}
    app = make_test_app(tmp_path, backend, **settings)
    app.test_client_class = BrowserLikeClient
    return app


def wait_until(condition, what, limit=30):
    """Wait for another thread to do something; fail with `what` if it never does (no timing is asserted)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


def queued():
    from models import QueuedMail, db

    with db.connection_context():
        return list(QueuedMail.select().order_by(QueuedMail.id))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def smtp_threads(monkeypatch):
    """The names of the threads that open an SMTP connection."""
    import smtplib

    names = []
    original = smtplib.SMTP.__init__

    def recording_init(self, *args, **kwargs):
        names.append(threading.current_thread().name)
        original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", recording_init)
    return names


@pytest.fixture(params=database_urls())
def backend(request):
    return request.param


def test_with_the_mail_server_stopped_pages_work_and_the_mail_goes_out_once_it_is_back(
        tmp_path, backend, clock, smtp_threads):
    with SmtpServer() as first:
        port = first.port
    # The server is stopped: connections to its port are refused.
    app = smtp_app(tmp_path, backend, port, MAIL_QUEUE_THREAD=True)
    sender = app.extensions["mail_sender"]
    try:
        client = app.test_client()
        auth = Auth(client, Outbox(app))
        auth.operator_account()  # no sign-up mail: these tests count the others
        auth.enrol()                      # set-up pages: "turned on" is queued
        auth.signout()
        auth.signin_with_passcode()       # sign-in pages
        auth.step_up()
        assert client.post("/two-step/off").status_code == 303   # "turned off" is queued
        assert "Two-step verification is off" in client.get("/account").get_data(as_text=True)

        wait_until(lambda: all(m.attempts >= 1 and m.status == "pending" for m in queued()) and len(queued()) == 2,
                   "the sender thread tried both mails and kept them")
        rows = queued()
        assert [m.kind for m in rows] == ["two_step_on", "two_step_off"]
        assert all("ConnectionRefusedError" in m.last_error for m in rows)
        status = cli(app, "mail", "status")
        assert "Waiting: 2   Sent: 0   Given up: 0" in status.output
        assert "two_step_off" in status.output and "ConnectionRefusedError" in status.output
        assert set(smtp_threads) == {"mail-sender"}  # no request opened an SMTP connection

        with SmtpServer(port=port) as again:   # the mail server answers again
            clock.advance(120)                 # past the first backoff
            sender.wake()
            wait_until(lambda: len(again.messages) == 2, "both mails delivered")
            wait_until(lambda: all(m.status == "sent" for m in queued()), "both rows marked sent")
            subjects = [m["message"]["Subject"] for m in again.messages]
            assert subjects == ["beSTREAM: Two-step verification is on",
                                "beSTREAM: Two-step verification was turned off"]
            assert all(m.body == "" for m in queued())  # a sent mail is not kept in plain text
            clock.advance(7200)
            sender.wake()
            assert sender.send_due() == {"sent": 0, "retry": 0, "failed": 0}
            assert len(again.messages) == 2    # each mail exactly once
        assert "Waiting: 0   Sent: 2   Given up: 0" in cli(app, "mail", "status").output
    finally:
        sender.stop(timeout=30)


def test_a_silent_mail_server_holds_the_sender_thread_but_no_page(tmp_path, backend, smtp_threads):
    silent = SilentSmtpServer().__enter__()
    app = smtp_app(tmp_path, backend, silent.port, MAIL_QUEUE_THREAD=True, MAIL_TIMEOUT_SECONDS=60)
    sender = app.extensions["mail_sender"]
    try:
        client = app.test_client()
        auth = Auth(client, Outbox(app))
        auth.operator_account()  # no sign-up mail: these tests count the others
        auth.enrol()   # queues "turned on" and wakes the sender, which connects and waits for a greeting
        wait_until(lambda: silent.connections == 1, "the sender thread connected to the silent server")
        assert [m.status for m in queued()] == ["sending"]

        # While the sender thread waits on the silent server (for up to 60 s), every page answers.
        auth.signout()
        auth.signin_with_passcode()
        auth.step_up()
        assert client.post("/two-step/off").status_code == 303
        assert client.get("/account").status_code == 200
        assert client.post("/two-step/phone", data={"phone": PHONE}).status_code in (303, 409)
        assert [(m.kind, m.status) for m in queued()] == [("two_step_on", "sending"), ("two_step_off", "pending")]
        assert silent.connections == 1 and sender.running  # still the one conversation, still waiting
        assert set(smtp_threads) == {"mail-sender"}

        silent.close()  # the server hangs up: the sender gives up on this try and keeps the mail
        wait_until(lambda: queued()[0].status == "pending" and queued()[0].attempts == 1,
                   "the first mail is back in the queue for a later try")
        assert "SMTPServerDisconnected" in queued()[0].last_error
    finally:
        silent.close()
        sender.stop(timeout=70)


def test_backoff_then_given_up_then_retry_on_request(tmp_path, clock):
    from mail.queue import retry_delay

    port = free_port()  # nothing listens there
    app = smtp_app(tmp_path, "sqlite", port, MAIL_MAX_ATTEMPTS=3)
    sender = app.extensions["mail_sender"]
    auth = Auth(app.test_client(), Outbox(app))
    auth.operator_account()  # no sign-up mail: these tests count the others
    auth.enrol()

    assert [retry_delay(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert sender.send_due() == {"sent": 0, "retry": 1, "failed": 0}
    assert sender.send_due() == {"sent": 0, "retry": 0, "failed": 0}   # not due again before 60 s
    clock.advance(59)
    assert sender.send_due()["retry"] == 0
    clock.advance(1)
    assert sender.send_due() == {"sent": 0, "retry": 1, "failed": 0}
    clock.advance(120)
    assert sender.send_due() == {"sent": 0, "retry": 0, "failed": 1}   # third try: given up, kept
    [row] = queued()
    assert (row.status, row.attempts) == ("failed", 3) and row.body
    clock.advance(86400)
    assert sender.send_due()["failed"] == 0   # a mail given up is not tried again by itself
    status = cli(app, "mail", "status")
    assert "Given up: 1" in status.output and "given up" in status.output and "mail retry" in status.output
    assert "Sent: 0   Will retry: 0   Given up: 0" in cli(app, "mail", "send").output

    with SmtpServer(port=port) as server:
        assert "1 mail(s) will be tried again." in cli(app, "mail", "retry").output
        result = cli(app, "mail", "send")
        assert result.exit_code == 0 and "Sent: 1" in result.output
        assert [m["message"]["Subject"] for m in server.messages] == ["beSTREAM: Two-step verification is on"]


def test_a_mail_claimed_by_a_worker_that_died_is_sent_after_its_lease(tmp_path, clock):
    from mail import queue
    from models import db

    with SmtpServer() as server:
        app = smtp_app(tmp_path, "sqlite", server.port)
        sender = app.extensions["mail_sender"]
        auth = Auth(app.test_client(), Outbox(app))
        auth.operator_account()  # no sign-up mail: these tests count the others
        auth.enrol()
        with db.connection_context():
            assert queue.claim_next(sender.lease_seconds) is not None   # a worker takes it, then dies
        assert sender.send_due()["sent"] == 0                           # someone else's for now
        clock.advance(sender.lease_seconds)
        assert sender.send_due()["sent"] == 1
        assert len(server.messages) == 1


def test_several_senders_share_the_queue_and_send_each_mail_once(tmp_path, backend):
    from mail.sender import MailSender
    from mail.smtp import SmtpMailer
    from models import User, db
    from accounts import events

    with SmtpServer() as server:
        app = smtp_app(tmp_path, backend, server.port)
        with db.connection_context():
            user = User.create(email="ann@example.com", name="Ann", password_hash="x")
            for _ in range(12):
                events.record(user.id, "two_step_off")
        senders = [MailSender(SmtpMailer("127.0.0.1", server.port, MAIL_FROM, use_tls=False, timeout=10))
                   for _ in range(3)]
        results = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.send_due())) for s in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sum(r["sent"] for r in results) == 12
        assert len(server.messages) == 12
        assert [m.status for m in queued()] == ["sent"] * 12
        del app


def test_the_cli_reset_queues_its_mail_and_sends_it_at_once(tmp_path):
    with SmtpServer() as server:
        app = smtp_app(tmp_path, "sqlite", server.port)
        auth = Auth(app.test_client(), Outbox(app))
        auth.operator_account()  # no sign-up mail: these tests count the others
        auth.enrol()
        app.extensions["mail_sender"].send_due()
        result = cli(app, "two-step", "reset", "ann@example.com", "--yes")
        assert result.exit_code == 0, result.output
        assert [m["message"]["Subject"] for m in server.messages[-2:]] == [
            "beSTREAM: Two-step verification was reset by an administrator",
            "beSTREAM: Set a new password"]  # the one-time link, queued in the same transaction


def test_a_password_reset_asked_for_while_the_mail_server_is_down_arrives_once_it_is_back(
        tmp_path, backend, clock, caplog):
    """The request is resolved without the mail server (the link is made, its mail queued); the mail waits
    and goes out when the server answers again, and the link works. No address or token in the logs."""
    import logging

    from models import AccountToken, db

    caplog.set_level(logging.DEBUG)
    with SmtpServer() as first:
        port = first.port
    app = smtp_app(tmp_path, backend, port, PUBLIC_URL="https://accounts.example.com")
    sender = app.extensions["mail_sender"]
    client = app.test_client()
    Auth(client, Outbox(app)).operator_account()
    client.post("/signout")
    response = client.post("/password/forgot", data={"email": "ann@example.com"})
    assert response.status_code == 303
    assert [(m.kind, m.status) for m in queued()] == [("reset_request", "pending")]

    assert sender.send_due() == {"sent": 0, "retry": 1, "failed": 0}  # the link's mail: refused
    assert [(m.kind, m.status, m.attempts) for m in queued()] == [("link_reset", "pending", 1)]  # request gone
    with db.connection_context():
        assert AccountToken.select().where(AccountToken.purpose == "reset").count() == 1

    with SmtpServer(port=port) as again:
        clock.advance(120)  # past the first backoff
        assert sender.send_due() == {"sent": 1, "retry": 0, "failed": 0}
        assert [str(m["message"]["Subject"]) for m in again.messages] == ["beSTREAM: Reset your password"]
        body = again.messages[0]["body"]
    link = body.split("https://accounts.example.com", 1)[1].split()[0]
    assert client.get(link).status_code == 303
    assert client.post("/password/reset", data={"password": "a brand new secret"}).status_code == 303
    token = link.split("token=")[1]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # not the test's SMTP server
    assert "password_reset" in ours
    assert "ann@example.com" not in ours and token not in ours


def test_a_reset_request_is_resolved_once_even_when_its_sender_lost_the_lease(tmp_path, clock):
    """A sender that took a request and stalled past its lease resolves nothing: the one that took it over does."""
    import accounts
    from mail import queue
    from models import AccountToken, db

    app = make_test_app(tmp_path)
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    Auth(client, Outbox(app)).operator_account()
    assert client.post("/password/forgot", data={"email": "ann@example.com"}).status_code == 303
    sender = app.extensions["mail_sender"]
    with db.connection_context():
        stalled = queue.claim_next(sender.lease_seconds)
        clock.advance(sender.lease_seconds)
        current = queue.claim_next(sender.lease_seconds)  # another sender takes it over
        assert current.id == stalled.id
        accounts.resolve_password_reset(stalled)  # the first sender wakes up: no longer its request
        assert AccountToken.select().count() == 0 and len(queued()) == 1
        accounts.resolve_password_reset(current)
        assert AccountToken.select().where(AccountToken.purpose == "reset").count() == 1
        assert [m.kind for m in queued()] == ["link_reset"]
