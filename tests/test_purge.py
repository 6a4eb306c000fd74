"""`flask --app app purge`: old rows go, everything a rule or a user still needs stays."""
import datetime

from models import AuthSession, Challenge, OutboxMessage, SmsRecord, User, db
from core import clock as domain_clock


def _rows(model):
    with db.connection_context():
        return model.select().count()


def _age_everything(hours):
    """Move every stored time back by `hours`, as if it had all happened that long ago."""
    delta = datetime.timedelta(hours=hours)
    with db.connection_context(), db.atomic():
        for model, field in ((Challenge, "created_at"), (SmsRecord, "created_at"), (OutboxMessage, "created_at"),
                             (AuthSession, "revoked_at")):
            for row in model.select():
                if getattr(row, field) is not None:
                    model.update({field: getattr(row, field) - delta}).where(model.id == row.id).execute()


def test_purge_deletes_what_has_aged_out_and_keeps_the_rest(app, client, auth, outbox):
    auth.signup()
    auth.enrol()
    auth.signout()                # one ended session
    auth.signin_with_passcode()   # a finished sign-in challenge, and a live session
    _age_everything(hours=25)
    auth.signout()
    auth.signin_with_passcode()   # fresh: must all stay
    assert _rows(Challenge) == 3 and _rows(SmsRecord) == 3 and _rows(OutboxMessage) == 3

    result = app.test_cli_runner().invoke(args=["purge", "--session-days", "1"])

    assert result.exit_code == 0, result.output
    assert "Deleted: 2 challenge, 0 sms_record, 2 outbox_message, 1 auth_session, 0 queued_mail" in result.output
    assert _rows(Challenge) == 1 and _rows(OutboxMessage) == 1
    assert _rows(SmsRecord) == 3  # the caps still see the last day's SMS (kept 30 days)
    with db.connection_context():
        user = User.get()
        assert user.two_step == "on" and user.phone  # accounts are never purged
        assert AuthSession.select().where(AuthSession.revoked_at.is_null()).count() == 1
    assert client.get("/dashboard").status_code == 200  # the signed-in browser is untouched


def test_purge_of_sms_records_keeps_what_the_caps_count(app, auth):
    auth.signup()
    auth.enrol()
    _age_everything(hours=24 * 31)

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert _rows(SmsRecord) == 0

    refused = app.test_cli_runner().invoke(args=["purge", "--sms-days", "1"])
    assert refused.exit_code != 0 and "at least 2 days" in refused.output


def test_purge_deletes_a_big_backlog_in_batches(app, clock):
    from purge import BATCH, purge

    old = domain_clock.now() - datetime.timedelta(days=2)
    with db.connection_context():
        OutboxMessage.insert_many([{"phone": "+819012345678", "body": "x", "created_at": old}] * (2 * BATCH + 5)
                                  ).execute()
        assert purge()["outbox_message"] == 2 * BATCH + 5
    assert _rows(OutboxMessage) == 0
