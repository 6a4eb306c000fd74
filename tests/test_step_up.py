"""Step-up for sensitive changes (views/step_up.py, twostep/stepup.py).

Off, Unsubscribe, a change of number and a new recovery code need, in this
session and within REAUTH_MINUTES, the password typed again (signing in does
not count) and a passcode sent to the current number or the recovery code.
A copy of a signed-in session cookie changes nothing: a test per change.
Each change e-mails the owner, the new recovery code included.
"""
import re

import pytest
from conftest import PHONE_E164, RECOVERY_RE, BrowserLikeClient, deliver_mail

NEW_PHONE = "080-2345-6799"

# (name, how the change is asked for, what the account looks like if it happened)
CHANGES = {
    "off": ("/two-step/off", {}, lambda user: user.two_step == "off"),
    "unsubscribe": ("/two-step/unsubscribe", {}, lambda user: user.two_step == "none"),
    "number": ("/two-step/number", {"phone": NEW_PHONE}, None),  # see sms_to_new_number
    "recovery_code": ("/two-step/recovery-code", {}, None),      # see recovery_hash
}


def user_row():
    from models import User, db

    with db.connection_context():
        return User.get()


def kinds():
    from models import SecurityEvent, db

    with db.connection_context():
        return [e.kind for e in SecurityEvent.select().order_by(SecurityEvent.id)]


@pytest.fixture
def signed_in(client, auth):
    """Ann, with two-step verification on, signed in through both steps a moment ago."""
    auth.signup()
    recovery = auth.enrol()
    auth.signout()
    auth.signin_with_passcode()
    return recovery


def copy_of_cookie(app, client):
    app.test_client_class = BrowserLikeClient
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def assert_nothing_changed(before, outbox, sms_before, page=""):
    after = user_row()
    assert (after.two_step, after.phone, after.recovery_hash, after.off_until) == \
        (before.two_step, before.phone, before.recovery_hash, before.off_until)
    assert outbox.count() == sms_before  # not even an SMS
    assert not RECOVERY_RE.search(page)
    assert "number_changed" not in kinds() and "two_step_off" not in kinds()


@pytest.mark.parametrize("change", CHANGES)
def test_a_copy_of_a_signed_in_cookie_changes_nothing(app, client, outbox, signed_in, change):
    url, data, _ = CHANGES[change]
    thief = copy_of_cookie(app, client)
    assert thief.get("/dashboard").status_code == 200  # the copy is signed in...
    before, sms_before = user_row(), outbox.count()

    for method in ("GET", "POST"):
        response = thief.open(url, method=method, data=data or None)
        assert response.status_code == 303 and response.headers["Location"].startswith(f"/reauth?next={url}")
    # ...but the step-up pages want the password first too: no SMS, no recovery-code guessing.
    assert thief.post("/two-step/verify").headers["Location"].startswith("/reauth")
    assert thief.post("/two-step/verify/recovery", data={"code": signed_in}).headers["Location"].startswith("/reauth")
    assert thief.post("/reauth", data={"password": "a guess"}).status_code == 422
    assert_nothing_changed(before, outbox, sms_before)
    assert user_row().recovery_hash == before.recovery_hash  # the recovery code was not used up either


@pytest.mark.parametrize("change", CHANGES)
def test_a_copied_cookie_with_the_password_still_needs_the_phone(app, client, outbox, signed_in, change):
    """A phished password plus a stolen cookie: the passcode goes to the owner's phone, not to the thief."""
    url, data, _ = CHANGES[change]
    thief = copy_of_cookie(app, client)
    before = user_row()
    assert thief.post(f"/reauth?next={url}", data={"password": "correct horse"}).headers["Location"] == url
    response = thief.open(url, method="POST", data=data or None)
    assert response.status_code == 303 and response.headers["Location"] == "/two-step/verify"
    sms_before = outbox.count()
    assert thief.post("/two-step/verify").headers["Location"] == "/two-step/verify/passcode"
    assert outbox.messages()[-1] and outbox.count(PHONE_E164) == sms_before + 1  # to the owner's number only
    wrong = "000000" if outbox.last_code() != "000000" else "111111"
    assert thief.post("/two-step/verify/passcode", data={"code": wrong}).status_code == 422
    assert thief.post("/two-step/verify/recovery", data={"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 422
    assert thief.open(url, method="POST", data=data or None).headers["Location"] == "/two-step/verify"
    assert_nothing_changed(before, outbox, sms_before + 1)


def test_signing_in_does_not_count_as_the_password_for_a_change(client, auth, outbox, signed_in):
    response = client.post("/two-step/off")
    assert response.headers["Location"].startswith("/reauth?next=/two-step/off")
    assert user_row().two_step == "on"


@pytest.mark.parametrize("htmx", [False, True])
def test_password_then_passcode_then_the_change_which_uses_both_up(app, client, auth, outbox, signed_in, htmx):
    assert client.post("/reauth?next=/two-step/off", data={"password": "correct horse"}).headers["Location"] == \
        "/two-step/off"
    response = client.get("/two-step/off", htmx=htmx)
    assert response.headers.get("Location") == "/two-step/verify" or \
        '"/two-step/verify"' in response.headers.get("HX-Location", "")
    page = client.get("/two-step/verify", htmx=htmx).get_data(as_text=True)
    assert ("<html" in page) != htmx
    assert "Confirm it is you" in page and "+81 ••••••••78" in page and "Send passcode" in page
    assert "Try another method" in page
    response = client.post("/two-step/verify", htmx=htmx)
    assert (response.status_code, response.headers.get("Location")) == (303, "/two-step/verify/passcode") or \
        "/two-step/verify/passcode" in response.headers.get("HX-Location", "")
    page = client.get("/two-step/verify/passcode", htmx=htmx).get_data(as_text=True)
    assert "+81 ••••••••78" in page and "Resend" in page and "Try another method" in page
    response = client.post("/two-step/verify/passcode", data={"code": outbox.last_code()}, htmx=htmx)
    assert response.headers.get("Location") == "/two-step/off" or \
        '"/two-step/off"' in response.headers.get("HX-Location", "")
    assert "Turn two-step verification off" in client.get("/two-step/off").get_data(as_text=True)
    assert client.post("/two-step/off").headers["Location"] == "/account"
    assert user_row().two_step == "off"
    # Used up: the next sensitive change asks for both again.
    assert client.get("/two-step/unsubscribe").headers["Location"].startswith("/reauth")


def test_the_step_up_lasts_reauth_minutes(client, auth, outbox, signed_in, clock):
    auth.step_up()
    clock.advance(10 * 60 + 1)
    assert client.get("/two-step/off").headers["Location"].startswith("/reauth")
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    assert client.get("/two-step/off").headers["Location"] == "/two-step/verify"   # the passcode is old too


def test_the_recovery_code_confirms_a_change_and_is_replaced(app, client, auth, outbox, signed_in):
    """Lost phone: the recovery code confirms a number change; a new code is shown before going on."""
    assert client.post("/reauth?next=/two-step/number", data={"password": "correct horse"}).status_code == 303
    assert client.get("/two-step/number").headers["Location"] == "/two-step/verify"
    assert client.post("/two-step/verify/recovery", data={"code": "ABCD-EFGH"}).status_code == 422
    response = client.post("/two-step/verify/recovery", data={"code": signed_in})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your new recovery code" in page and "Copy Code" in page
    assert 'href="/two-step/number"' in page
    new_code = RECOVERY_RE.search(page).group(1)
    assert new_code != signed_in
    assert client.post("/two-step/number", data={"phone": NEW_PHONE}).headers["Location"] == \
        "/two-step/change/passcode"
    assert client.post("/two-step/change/passcode", data={"code": outbox.last_code("+818023456799")}
                       ).headers["Location"] == "/account"
    assert user_row().phone == "+818023456799"
    # The old code is used up, the new one works.
    auth.signout()
    auth.signin()
    assert client.post("/signin/recovery", data={"code": signed_in}).status_code == 422
    assert client.post("/signin/recovery", data={"code": new_code}).status_code == 200


def test_new_recovery_code_confirmed_with_the_recovery_code_is_done_at_once(client, auth, outbox, signed_in):
    assert client.post("/reauth?next=/two-step/recovery-code", data={"password": "correct horse"}).status_code == 303
    assert client.get("/two-step/recovery-code").headers["Location"] == "/two-step/verify"
    page = client.post("/two-step/verify/recovery", data={"code": signed_in}).get_data(as_text=True)
    assert 'href="/account"' in page  # the new code was what the user came for
    assert kinds().count("recovery_code_new") == 1
    assert client.get("/two-step/recovery-code").headers["Location"].startswith("/reauth")  # used up


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_e_mails_the_owner(app, client, auth, outbox, signed_in, change):
    from models import MailMessage, db

    url, data, _ = CHANGES[change]
    deliver_mail(app)
    auth.step_up()
    assert client.post(url, data=data or None).status_code in (200, 303)
    if change == "number":
        assert client.post("/two-step/change/passcode", data={"code": outbox.last_code("+818023456799")}
                           ).status_code == 303
    assert deliver_mail(app)["sent"] == 1
    with db.connection_context():
        mail = MailMessage.select().order_by(MailMessage.id.desc()).first()
    expected = {"off": "Two-step verification was turned off", "unsubscribe": "Two-step verification was removed",
                "number": "Your two-step verification number was changed",
                "recovery_code": "You have a new recovery code"}[change]
    assert mail.to == "ann@example.com" and mail.subject == f"beSTREAM: {expected}"
    assert "IP address: 127.0.0.1" in mail.body and not re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", mail.body)


def test_the_step_up_passcode_expires_and_counts_towards_the_lock(client, auth, outbox, signed_in, clock):
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    client.post("/two-step/verify")
    code = outbox.last_code()
    clock.advance(5 * 60 + 1)
    expired = client.post("/two-step/verify/passcode", data={"code": code})
    assert expired.status_code in (400, 410, 422) and "expired" in expired.get_data(as_text=True)
    assert user_row().two_step == "on"
