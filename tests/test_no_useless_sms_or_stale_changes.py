"""No SMS that cannot help, and no change from a stale page: the outbox refused in production, no code to a
confirmed number or a locked account, an Off after an Unsubscribe from another tab."""
import pytest

from conftest import PHONE, make_test_app
from models import User, db


def test_a_production_server_refuses_the_outbox_unless_asked(tmp_path):
    with pytest.raises(SystemExit) as refused:
        make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY="k" * 40)
    assert "SMS_BACKEND" in str(refused.value) and "SMS_OUTBOX_IN_PRODUCTION" in str(refused.value)
    assert make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY="k" * 40, SMS_OUTBOX_IN_PRODUCTION=True)


def test_a_confirmed_number_gets_no_more_sms_in_the_wizard(client, auth, outbox):
    auth.signup()
    client.post("/two-step/phone", data={"phone": PHONE})
    client.post("/two-step/passcode", data={"code": outbox.last_code()})
    assert client.post("/two-step/phone", data={"phone": PHONE}).headers["Location"] == "/two-step/passcode"
    assert client.post("/two-step/resend").headers["Location"] == "/two-step/recovery"
    assert outbox.count() == 1


def test_no_sms_while_the_second_step_is_locked(client, auth, outbox, clock):
    auth.signup()
    auth.enrol()
    auth.signout()
    with db.connection_context():
        User.update(locked_until=clock.now().replace(year=2100)).execute()
    sent = outbox.count()
    response = auth.signin()
    assert response.headers["Location"] == "/signin/passcode"
    assert outbox.count() == sent
    assert "locked" in client.get("/signin/passcode").get_data(as_text=True)


def test_off_after_an_unsubscribe_from_another_tab_changes_nothing(app, client, auth, outbox):
    from twostep import refusals, settings

    auth.signup()
    auth.enrol()
    with db.connection_context():
        stale = User.get()  # what the Off tab saw
        settings.unsubscribe(User.get())
        with pytest.raises(refusals.TwoStepError) as refused:
            settings.turn_off(app.extensions["policy"], stale)
        user = User.get()
    assert refused.value.msgid == refusals.WRONG_STATE and refused.value.status == 409  # a clear refusal, no 500
    assert (user.two_step, user.phone) == ("none", None)
