"""Defects found in review: open redirects, the outbox in production, stale sessions, useless SMS, races."""
import pytest

from conftest import PHONE, make_test_app
from models import User, db

ESCAPES = ["//evil.com", "/\\evil.com", "/%09/evil.com", "/%0a/evil.com", "/%0d/x", "https://evil.com",
           "/%5Cevil.com", "/%2F/evil.com"]


@pytest.mark.parametrize("target", ESCAPES)
def test_next_never_leaves_the_site(client, auth, target):
    auth.signup()
    auth.signout()
    response = client.post(f"/signin?next={target}", data={"email": "ann@example.com", "password": "correct horse"})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    switch = client.get(f"/language/en?next={target}")
    assert switch.status_code == 303 and switch.headers["Location"] == "/"
    reauth = client.post(f"/reauth?next={target}", data={"password": "correct horse"})
    assert reauth.status_code == 303 and reauth.headers["Location"] == "/account"


def test_a_same_site_next_is_kept(client, auth):
    auth.signup()
    auth.signout()
    response = client.post("/signin?next=/account/activity", data={"email": "ann@example.com",
                                                                    "password": "correct horse"})
    assert response.headers["Location"] == "/account/activity"


def test_a_production_server_refuses_the_outbox_unless_asked(tmp_path):
    with pytest.raises(SystemExit) as refused:
        make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY="k" * 40)
    assert "SMS_BACKEND" in str(refused.value) and "SMS_OUTBOX_IN_PRODUCTION" in str(refused.value)
    assert make_test_app(tmp_path, TESTING=False, DEBUG=False, SECRET_KEY="k" * 40, SMS_OUTBOX_IN_PRODUCTION=True)


@pytest.mark.settings(SESSION_MAX_DAYS=14)
def test_a_session_ends_after_its_lifetime(client, auth, clock):
    auth.signup()
    clock.advance(13 * 24 * 3600)
    assert client.get("/dashboard").status_code == 200
    clock.advance(2 * 24 * 3600)
    assert client.get("/dashboard").status_code == 302


def test_signing_in_as_someone_else_ends_the_first_session(app, client, auth):
    auth.signup()
    first = client.get_cookie("session").value
    auth.signup("bob@example.com", "bobs password", "Bob")
    replay = app.test_client()
    replay.set_cookie("session", first)
    assert replay.get("/dashboard").status_code == 302


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


def test_a_broken_hx_current_url_is_not_a_500(client, auth):
    auth.signup()
    response = client.post("/reauth?next=/account", data={"password": "correct horse"},
                           headers={"HX-Request": "true", "HX-Current-URL": "http://[bad"})
    assert response.status_code == 200 and "HX-Location" in response.headers
