"""What guards each change of two-step settings, one test per guard, each checked by breaking it:

- a wrong code never changes the number or turns Enable on;
- Enable asks for the password again when it is old (the other changes need a full step-up:
  tests/test_step_up.py);
- finishing the set-up wizard ends the account's other sessions;
- signing in starts a new session: nothing from before (a CSRF token, a pending second step) carries over;
- every security event is also a log line for the operator;
- a passcode's hash is bound to its verification.
"""
import logging
import re

import pytest

from conftest import CSRF_RE, PHONE, PHONE_E164, Auth, BrowserLikeClient
from models import User, db

NEW_PHONE, NEW_E164 = "080-2222-3333", "+818022223333"
WRONG = "That passcode is not right. 4 tries left before it stops working."


def user_row(email="ann@example.com"):
    with db.connection_context():
        return User.get(User.email == email)


def wrong_code(right):
    return "000000" if right != "000000" else "111111"


@pytest.fixture
def enrolled(client, auth):
    """Ann, two-step verification on, signed in through both steps (a fresh password)."""
    auth.signup()
    auth.enrol()
    auth.signout()
    auth.signin_with_passcode()
    return client


def test_a_wrong_code_never_changes_the_number(enrolled, auth, outbox):
    client = enrolled
    auth.step_up()
    assert client.post("/two-step/number", data={"phone": NEW_PHONE}).headers["Location"] == "/two-step/change/passcode"
    right = outbox.last_code(NEW_E164)
    response = client.post("/two-step/change/passcode", data={"code": wrong_code(right)})
    assert response.status_code == 422 and WRONG in response.get_data(as_text=True)
    assert user_row().phone == PHONE_E164
    assert client.post("/two-step/change/passcode", data={"code": right}).headers["Location"] == "/account"
    assert user_row().phone == NEW_E164


def test_a_wrong_code_never_turns_enable_on(enrolled, auth, outbox):
    client = enrolled
    auth.step_up()
    assert client.post("/two-step/off").headers["Location"] == "/account"
    client.post("/reauth", data={"password": "correct horse"})
    assert client.post("/two-step/enable").headers["Location"] == "/two-step/enable/passcode"
    right = outbox.last_code(PHONE_E164)
    response = client.post("/two-step/enable/passcode", data={"code": wrong_code(right)})
    assert response.status_code == 422 and WRONG in response.get_data(as_text=True)
    assert user_row().two_step == "off"
    assert client.post("/two-step/enable/passcode", data={"code": right}).headers["Location"] == "/account"
    assert user_row().two_step == "on"


def _state():
    user = user_row()
    return user.two_step, user.phone, user.recovery_hash


def test_enable_asks_for_the_password_again_when_it_is_old(enrolled, auth, outbox, clock):
    client = enrolled
    auth.step_up()
    assert client.post("/two-step/off").headers["Location"] == "/account"
    clock.advance(11 * 60)  # REAUTH_MINUTES is 10
    state, sent = _state(), outbox.count()
    prompt = client.get("/two-step/enable")
    assert prompt.status_code == 303 and prompt.headers["Location"] == "/reauth?next=/two-step/enable"
    assert client.post("/two-step/enable").headers["Location"] == "/reauth?next=/two-step/enable"
    assert _state() == state and outbox.count() == sent  # nothing changed, no SMS
    answer = client.post("/reauth?next=/two-step/enable", data={"password": "correct horse"})
    assert answer.headers["Location"] == "/two-step/enable"
    assert client.get("/two-step/enable").status_code == 200


def test_finishing_the_wizard_ends_the_accounts_other_sessions(app, client, auth, outbox):
    auth.signup()
    app.test_client_class = BrowserLikeClient
    laptop = app.test_client()
    assert Auth(laptop, outbox).signin().headers["Location"] == "/dashboard"  # no second step yet
    assert laptop.get("/dashboard").status_code == 200
    auth.enrol()
    assert laptop.get("/dashboard").status_code == 302  # signed out: it signed in without a passcode
    assert client.get("/dashboard").status_code == 200


def _csrf(client, path="/signin"):
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    return match.group(1) or match.group(2)


@pytest.mark.parametrize("two_step", [False, True])
def test_signing_in_starts_a_new_session(client, auth, outbox, two_step):
    auth.signup()
    if two_step:
        auth.enrol()
    auth.signout()
    before = _csrf(client)  # a token of the anonymous session (one an attacker could have planted)
    if two_step:
        auth.signin_with_passcode()
    else:
        assert auth.signin().headers["Location"] == "/dashboard"
    refused = client.post("/two-step/off" if two_step else "/signout", data={"csrf_token": before}, csrf=False)
    assert refused.status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_signing_in_as_someone_else_drops_a_pending_second_step(client, auth, outbox):
    auth.signup("ann@example.com")
    auth.enrol()
    auth.signout()
    auth.signup("bob@example.com", name="Bob")
    auth.signout()
    assert auth.signin("ann@example.com").headers["Location"] == "/signin/passcode"  # Ann's step pending
    ann_code = outbox.last_code()
    assert auth.signin("bob@example.com").headers["Location"] == "/dashboard"
    client.post("/signin/passcode", data={"code": ann_code})  # Ann's code: nothing of hers is pending here
    account = client.get("/account").get_data(as_text=True)
    assert "bob@example.com" in account and "ann@example.com" not in account


def test_every_security_event_is_a_log_line_without_secrets(client, auth, outbox, caplog):
    caplog.set_level(logging.INFO, logger="security")
    auth.signup()
    recovery = auth.enrol()
    user_id = user_row().id
    lines = [r.getMessage() for r in caplog.records if r.name == "security"]
    for kind in ("signup", "two_step_on"):
        assert any(re.match(rf"security event={kind} user={user_id} ip=\S+ by=user at=\d{{4}}-", line)
                   for line in lines), (kind, lines)
    text = "\n".join(lines)
    assert PHONE_E164 not in text and PHONE not in text and recovery not in text and "ann@example.com" not in text


def test_a_passcode_hash_is_bound_to_its_verification():
    from twostep.codes import passcode_hash, passcode_matches

    key = b"k" * 32
    stored_for_first = passcode_hash(key, 1, "123456")
    assert passcode_matches(key, 1, "123456", stored_for_first)
    assert not passcode_matches(key, 2, "123456", stored_for_first)  # copied to another verification
    assert not passcode_matches(b"j" * 32, 1, "123456", stored_for_first)  # another server key
