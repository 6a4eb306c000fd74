"""Issue 4: sign-in with a passcode, Try another method -> Recovery code, Off / Enable / Unsubscribe."""
import threading

import pytest

from conftest import PHONE_E164, RECOVERY_RE, Auth, BrowserLikeClient, join_all
from models import AuthSession, SecurityEvent, User, db


def user_row(email="ann@example.com"):
    with db.connection_context():
        return User.get(User.email == email)


def kinds():
    with db.connection_context():
        return [e.kind for e in SecurityEvent.select().order_by(SecurityEvent.id)]


@pytest.fixture
def enrolled(client, auth):
    """Ann, with two-step verification on, signed out. Returns her recovery code."""
    auth.signup()
    recovery = auth.enrol()
    auth.signout()
    return recovery


@pytest.mark.parametrize("htmx", [False, True])
def test_sign_in_asks_for_a_passcode_and_grants_nothing_before_it(client, auth, outbox, enrolled, htmx):
    sent = outbox.count()
    signins = kinds().count("signin")
    response = client.post("/signin", data={"email": "ann@example.com", "password": "correct horse"}, htmx=htmx)
    if htmx:
        assert '"path": "/signin/passcode"' in response.headers["HX-Location"]
    else:
        assert response.headers["Location"] == "/signin/passcode"
    assert outbox.count() == sent + 1
    assert client.get("/dashboard").status_code == 302  # nothing signed in yet
    page = client.get("/signin/passcode", htmx=htmx).get_data(as_text=True)
    for label in ("Continue", "Resend", "Try another method", "+81 ••••••••78", "expires in"):
        assert label in page
    assert "Edit" not in page
    before = client.get_cookie("session").value
    response = client.post("/signin/passcode", data={"code": outbox.last_code()}, htmx=htmx)
    if htmx:
        assert response.headers["HX-Redirect"] == "/dashboard"
    else:
        assert response.headers["Location"] == "/dashboard"
    assert client.get_cookie("session").value != before
    assert client.get("/dashboard").status_code == 200
    assert kinds().count("signin") == signins + 1


def test_a_wrong_password_sends_no_sms(client, auth, outbox, enrolled):
    sent = outbox.count()
    assert auth.signin(password="wrong password").status_code == 422
    assert outbox.count() == sent


def test_the_passcode_screen_needs_a_pending_sign_in(client, enrolled):
    response = client.get("/signin/passcode")
    assert response.status_code == 303 and response.headers["Location"] == "/signin"


def test_the_password_only_state_expires_after_ten_minutes(client, auth, outbox, enrolled, clock):
    auth.signin()
    clock.advance(10 * 60 + 1)
    response = client.post("/signin/passcode", data={"code": outbox.last_code()})
    assert response.headers["Location"] == "/signin"
    assert client.get("/dashboard").status_code == 302


def test_an_expired_sign_in_code_says_to_click_resend(client, auth, outbox, enrolled, clock):
    auth.signin()
    clock.advance(301)
    response = client.post("/signin/passcode", data={"code": outbox.last_code()})
    assert response.status_code == 422 and "Resend" in response.get_data(as_text=True)
    assert client.post("/signin/resend").status_code == 303
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).headers["Location"] == "/dashboard"


def test_resend_on_the_sign_in_screen_has_a_cooldown(client, auth, outbox, enrolled, clock):
    auth.signin()
    response = client.post("/signin/resend")
    assert response.status_code == 429 and "Retry-After" in response.headers
    clock.advance(30)
    assert client.post("/signin/resend").status_code == 303


@pytest.mark.parametrize("htmx", [False, True])
def test_try_another_method_then_the_recovery_code(client, auth, outbox, enrolled, htmx):
    auth.signin()
    choices = client.get("/signin/another-method", htmx=htmx).get_data(as_text=True)
    assert "Recovery code" in choices and 'href="/signin/recovery"' in choices
    form = client.get("/signin/recovery", htmx=htmx).get_data(as_text=True)
    assert "Recovery code" in form
    response = client.post("/signin/recovery", data={"code": enrolled.lower().replace("-", " ")}, htmx=htmx)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    new_code = RECOVERY_RE.search(page).group(1)
    assert new_code != enrolled and "Copy Code" in page
    assert client.get("/dashboard").status_code == 200  # signed in
    kept = client.get("/signin/recovery/kept").get_data(as_text=True)
    assert "I kept this number in a safe place" in kept
    assert client.post("/signin/recovery/kept", data={}).status_code == 422
    done = client.post("/signin/recovery/kept", data={"kept": "y"}, htmx=htmx)
    assert (done.headers.get("HX-Redirect") if htmx else done.headers["Location"]) == "/dashboard"
    assert "signin_recovery" in kinds()
    assert user_row().two_step == "on"

    # The used code is gone; the new one works.
    auth.signout()
    auth.signin()
    assert client.post("/signin/recovery", data={"code": enrolled}).status_code == 422
    assert client.post("/signin/recovery", data={"code": new_code}).status_code == 200


def test_ten_wrong_passcodes_lock_passcodes_for_fifteen_minutes_but_never_the_recovery_code(
        client, auth, outbox, enrolled, clock):
    auth.signin()
    right = outbox.last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post("/signin/passcode", data={"code": wrong})
    clock.advance(31)
    client.post("/signin/resend")
    right = outbox.last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        client.post("/signin/passcode", data={"code": wrong})
    ended = client.post("/signin/passcode", data={"code": wrong})
    assert ended.status_code == 429 and "Too many wrong codes for this sign-in" in ended.get_data(as_text=True)
    assert client.post("/signin/passcode", data={"code": right}).headers["Location"] == "/signin"  # it is over
    assert "second_step_locked" in kinds()
    # A new sign-in: no SMS (a code could not be used), the screen says why ...
    sent = outbox.count()
    auth.signin()
    assert outbox.count() == sent
    locked = client.post("/signin/passcode", data={"code": right})
    assert locked.status_code in (422, 429)
    resend = client.post("/signin/resend")
    assert resend.status_code == 429 and int(resend.headers["Retry-After"]) > 14 * 60
    assert "locked" in resend.get_data(as_text=True)
    # ... and the owner's recovery code still signs in, which ends the lock.
    assert client.post("/signin/recovery", data={"code": enrolled}).status_code == 200
    assert user_row().locked_until is None
    auth.signout()
    auth.signin()
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).headers["Location"] == "/dashboard"


def test_a_passcode_lock_ends_after_fifteen_minutes(client, auth, outbox, enrolled, clock):
    auth.signin()
    for round_ in range(2):
        code = outbox.last_code()
        for _ in range(5):
            client.post("/signin/passcode", data={"code": "000000" if code != "000000" else "111111"})
        clock.advance(31)
        client.post("/signin/resend")
    assert user_row().locked_until is not None
    clock.advance(15 * 60 + 1)
    auth.signin()
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).headers["Location"] == "/dashboard"


def signed_in_again(client, auth, outbox):
    """Sign Ann in through both steps, then step up for one sensitive change (password and passcode again)."""
    auth.signin_with_passcode()
    auth.step_up()


def test_off_needs_a_recent_password_then_stops_asking_and_turns_back_on_after_seven_days(
        client, auth, outbox, enrolled, clock):
    signed_in_again(client, auth, outbox)
    clock.advance(11 * 60)
    prompt = client.get("/two-step/off")
    assert prompt.status_code == 303 and prompt.headers["Location"].startswith("/reauth?next=/two-step/off")
    assert client.post("/two-step/off").headers["Location"].startswith("/reauth")
    assert user_row().two_step == "on"
    assert client.post("/reauth?next=/two-step/off", data={"password": "wrong one"}).status_code == 422
    assert client.post("/reauth?next=/two-step/off", data={"password": "correct horse"}).headers["Location"] == "/two-step/off"
    # The password is fresh; the passcode confirmed 11 minutes ago is not.
    assert client.get("/two-step/off").headers["Location"] == "/two-step/verify"
    assert client.post("/two-step/verify").headers["Location"] == "/two-step/verify/passcode"
    assert client.post("/two-step/verify/passcode", data={"code": outbox.last_code()}).headers["Location"] == \
        "/two-step/off"
    assert "Off" in client.get("/two-step/off").get_data(as_text=True)
    assert client.post("/two-step/off").headers["Location"] == "/account"
    user = user_row()
    assert user.two_step == "off" and user.phone == PHONE_E164 and user.recovery_hash
    account = client.get("/account").get_data(as_text=True)
    assert "Turned off until" in account and "Enable" in account and "Unsubscribe" in account

    auth.signout()
    sent = outbox.count()
    assert auth.signin().headers["Location"] == "/dashboard"
    assert outbox.count() == sent
    auth.signout()
    clock.advance(7 * 24 * 3600 + 1)
    assert auth.signin().headers["Location"] == "/signin/passcode"
    assert user_row().two_step == "on"


@pytest.mark.settings(TWO_STEP_OFF_MAX_DAYS=0)
def test_off_can_be_open_ended(client, auth, outbox, enrolled, clock):
    signed_in_again(client, auth, outbox)
    client.post("/two-step/off")
    assert user_row().off_until is None
    assert "until you enable it again" in client.get("/account").get_data(as_text=True)
    clock.advance(365 * 24 * 3600)
    auth.signout()
    assert auth.signin().headers["Location"] == "/dashboard"


@pytest.mark.parametrize("htmx", [False, True])
def test_enable_sends_a_passcode_to_the_kept_number(client, auth, outbox, enrolled, htmx):
    signed_in_again(client, auth, outbox)
    client.post("/two-step/off")
    assert client.get("/two-step/enable").headers["Location"].startswith("/reauth")  # Off used the step-up up
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    page = client.get("/two-step/enable", htmx=htmx).get_data(as_text=True)
    assert "Enable" in page and "+81 ••••••••78" in page
    sent = outbox.count(PHONE_E164)
    response = client.post("/two-step/enable", htmx=htmx)
    assert outbox.count(PHONE_E164) == sent + 1
    assert user_row().two_step == "off"
    response = client.post("/two-step/enable/passcode", data={"code": outbox.last_code()}, htmx=htmx)
    assert (response.status_code == 200) if htmx else (response.headers["Location"] == "/account")
    assert user_row().two_step == "on" and user_row().off_until is None
    assert "two_step_enabled" in kinds()


def test_unsubscribe_removes_the_number_and_the_recovery_code(client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    confirm = client.get("/two-step/unsubscribe").get_data(as_text=True)
    assert "Unsubscribe" in confirm and "deleted" in confirm
    assert client.post("/two-step/unsubscribe").headers["Location"] == "/account"
    user = user_row()
    assert (user.two_step, user.phone, user.recovery_hash) == ("none", None, None)
    assert "To enable" in client.get("/account").get_data(as_text=True)
    auth.signout()
    assert auth.signin().headers["Location"] == "/dashboard"


def test_changes_end_the_accounts_other_sessions(app, client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    app.test_client_class = BrowserLikeClient
    laptop = app.test_client()
    Auth(laptop, outbox).signin_with_passcode()
    assert laptop.get("/dashboard").status_code == 200
    client.post("/two-step/off")
    assert laptop.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_new_number_is_confirmed_before_it_replaces_the_old_one(client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    response = client.post("/two-step/number", data={"phone": "080-2222-3333"})
    assert response.headers["Location"] == "/two-step/change/passcode"
    assert user_row().phone == PHONE_E164
    new_code = outbox.last_code("+818022223333")
    assert client.post("/two-step/change/passcode", data={"code": new_code}).headers["Location"] == "/account"
    assert user_row().phone == "+818022223333"
    with db.connection_context():
        event = SecurityEvent.get(SecurityEvent.kind == "number_changed")
    assert "+818022223333" not in event.detail and event.detail.endswith("33")


def test_a_new_recovery_code_replaces_the_old_one(client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    page = client.post("/two-step/recovery-code").get_data(as_text=True)
    new_code = RECOVERY_RE.search(page).group(1)
    auth.signout()
    auth.signin()
    assert client.post("/signin/recovery", data={"code": enrolled}).status_code == 422
    assert client.post("/signin/recovery", data={"code": new_code}).status_code == 200


def test_security_activity_lists_changes_without_codes_or_numbers(client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    client.post("/two-step/off")
    page = client.get("/account/activity").get_data(as_text=True)
    for label in ("Two-step verification turned on", "Signed in", "turned off for a while", "127.0.0.1"):
        assert label in page
    assert PHONE_E164 not in page and "9012345678" not in page
    assert outbox.last_code() not in page


# Races: exercised here on the rules with threads; issue 7 repeats them against a running server.

def _race(count, action):
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run():
        barrier.wait()
        try:
            with db.connection_context():
                outcome = action()
        except Exception as error:  # noqa: BLE001 - the outcome is what we count
            outcome = type(error).__name__
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert len(results) == count
    return results


def test_twenty_parallel_correct_passcodes_give_one_session(app, client, auth, outbox, enrolled):
    import accounts
    from twostep import challenges, signin

    auth.signin()
    code = outbox.last_code()
    token = _pending_token(app, client)
    policy = app.extensions["policy"]
    with db.connection_context():
        user_id = challenges.find_challenge(token, "signin").user_id
        AuthSession.delete().execute()

    results = _race(20, lambda: signin.complete_with_passcode(
        policy, challenges.find_challenge(token, "signin"), code, lambda: accounts.start_session(user_id)))
    session_tokens = [r for r in results if isinstance(r, str) and len(r) > 30]
    assert len(session_tokens) == 1
    with db.connection_context():
        assert AuthSession.select().count() == 1


def test_twenty_parallel_uses_of_one_recovery_code_give_one_success(app, client, auth, outbox, enrolled):
    from twostep import signin
    from twostep.challenges import open_challenge

    with db.connection_context():
        user = User.get()
        challenges = [open_challenge(user.id, "signin", user.phone)[0] for _ in range(20)]
    policy = app.extensions["policy"]
    queue = list(challenges)
    lock = threading.Lock()

    def use():
        with lock:
            challenge = queue.pop()
        return signin.complete_with_recovery_code(policy, challenge, enrolled, lambda: "session")

    results = _race(20, use)
    assert sum(1 for r in results if isinstance(r, tuple)) == 1


def test_fifty_parallel_wrong_guesses_get_at_most_five_evaluated(app, client, auth, outbox, enrolled):
    from twostep import challenges, signin

    auth.signin()
    right = outbox.last_code()
    wrong = "000000" if right != "000000" else "111111"
    policy = app.extensions["policy"]
    token = _pending_token(app, client)
    results = _race(50, lambda: signin.complete_with_passcode(
        policy, challenges.find_challenge(token, "signin"), wrong, lambda: None))
    assert results.count("WrongCode") + results.count("CodeVoided") == 50
    with db.connection_context():
        # Each evaluated guess counts once on the code and once towards the account's lockout.
        assert challenges.find_challenge(token, "signin").attempts == 5
        assert User.get().second_step_failures == 5


def _pending_token(app, client):
    """The pending sign-in token from the browser's (signed) session cookie."""
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)["signin"]


def test_a_copy_of_the_cookie_from_before_a_change_is_anonymous_after_it(app, client, auth, outbox, enrolled):
    signed_in_again(client, auth, outbox)
    stolen = client.get_cookie("session").value
    client.post("/two-step/off")
    assert client.get("/dashboard").status_code == 200
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/dashboard").status_code == 302


def test_recovery_codes_are_hashed_with_the_operators_argon2_settings(app, auth):
    """A small host lowers ARGON2_*: recovery codes must not cost argon2-cffi's 64 MiB regardless."""
    from models import User, db

    auth.signup()
    recovery = auth.enrol()
    with db.connection_context():
        stored = User.get(User.email == "ann@example.com").recovery_hash
    # tests/conftest.py's FAST_ARGON2: time 1, 1024 KiB, parallelism 1.
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert recovery.replace("-", "") not in stored
