"""The development mailer (MAIL_BACKEND=outbox, the default) and /dev/mail, and the same-transaction rule.

A security e-mail is queued in the transaction of the change it reports: an
event recorded in a transaction that rolls back leaves no mail behind.
"""
import pytest
from conftest import PHONE_E164, deliver_mail, make_test_app


def _mails():
    from models import MailMessage, db

    with db.connection_context():
        return list(MailMessage.select().order_by(MailMessage.id))


def _queued():
    from models import QueuedMail, db

    with db.connection_context():
        return list(QueuedMail.select().order_by(QueuedMail.id))


def test_outbox_mail_is_shown_at_dev_mail_in_debug(app, client, auth):
    auth.signup()  # reads the confirmation link: the queue is sent then
    recovery = auth.enrol()
    assert [m.subject for m in _mails()] == ["beSTREAM: Confirm your e-mail address"]
    assert [m.kind for m in _queued() if m.status == "pending"] == ["two_step_on"]  # queued by the request, not sent
    assert deliver_mail(app) == {"sent": 1, "retry": 0, "failed": 0}
    mails = _mails()
    assert [m.subject for m in mails] == ["beSTREAM: Confirm your e-mail address",
                                          "beSTREAM: Two-step verification is on"]
    page = client.get("/dev/mail").get_data(as_text=True)
    assert "Mail outbox" in page and "beSTREAM: Two-step verification is on" in page
    assert "To ann@example.com" in page
    assert "+81 ••••••••78" in page and PHONE_E164 not in page and recovery not in page
    fragment = client.get("/dev/mail", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "Mail outbox" in fragment


def test_dev_mail_does_not_exist_outside_debug(tmp_path):
    app = make_test_app(tmp_path, TESTING=False, SESSION_COOKIE_SECURE=False, SMS_OUTBOX_IN_PRODUCTION=True)
    assert app.test_client().get("/dev/mail").status_code == 404


def test_an_event_whose_transaction_rolls_back_is_not_mailed(app):
    from models import User, db
    from accounts import events

    with app.app_context(), db.connection_context():
        user = User.create(email="ann@example.com", name="Ann", password_hash="x")
        with pytest.raises(RuntimeError), db.atomic():
            events.record(user.id, "two_step_off", ip="203.0.113.5")
            raise RuntimeError("the change failed after recording its event")
        with db.atomic():
            events.record(user.id, "two_step_unsubscribed", ip="203.0.113.5")
        events.record(user.id, "signin", ip="203.0.113.5")  # not a mailed kind
    assert [m.kind for m in _queued()] == ["two_step_unsubscribed"]
    assert deliver_mail(app)["sent"] == 1
    assert [m.subject for m in _mails()] == ["beSTREAM: Two-step verification was removed"]
    assert deliver_mail(app)["sent"] == 0  # sent once, never twice


def test_with_the_sender_thread_a_reset_link_shows_at_dev_mail_within_seconds(tmp_path):
    """As in `make run`: the request queues a "Forgot password?" request without waking the sender, whose
    next look at the queue (every few seconds) makes the link and puts its mail in the outbox."""
    import time

    from conftest import Auth, BrowserLikeClient, Outbox

    app = make_test_app(tmp_path, MAIL_QUEUE_THREAD=True)
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    sender = app.extensions["mail_sender"]
    try:
        Auth(client, Outbox(app)).operator_account()
        client.post("/signout")
        assert client.post("/password/forgot", data={"email": "ann@example.com"}).status_code == 303
        deadline = time.monotonic() + 30
        while "/password/reset?token=" not in (page := client.get("/dev/mail").get_data(as_text=True)):
            assert time.monotonic() < deadline, "the sender thread never mailed the link"
            time.sleep(0.1)
        assert "beSTREAM: Reset your password" in page and "To ann@example.com" in page
    finally:
        sender.stop(timeout=30)
