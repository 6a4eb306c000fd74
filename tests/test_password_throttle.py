"""Issue 13, items 7 and 14: password guessing is throttled per account, not only per IP; re-auth
failures are on the record; unknown e-mails cost what the costliest stored hash costs."""
import pytest
from argon2 import PasswordHasher, extract_parameters

from conftest import BrowserLikeClient
from models import PasswordThrottle, SecurityEvent, User, db


def browser(app, ip):
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def guess(app, ip, email="ann@example.com", password="wrong guess"):
    return browser(app, ip).post("/signin", data={"email": email, "password": password})


@pytest.fixture
def ann(app, client, auth):
    auth.signup()
    auth.signout()
    return client


def test_guesses_from_forty_addresses_get_five_tries_then_growing_waits(app, ann, clock):
    answers = [guess(app, f"203.0.113.{i}").status_code for i in range(1, 41)]
    assert answers[:5] == [422] * 5  # PASSWORD_FREE_FAILURES, then a minute's wait
    assert set(answers[5:]) == {429}
    refused = guess(app, "198.51.100.1")
    assert int(refused.headers["Retry-After"]) <= 60
    assert "Too many wrong passwords for this email address" in refused.get_data(as_text=True)
    waits = []
    for _ in range(7):
        clock.advance(int(guess(app, "198.51.100.1").headers["Retry-After"]))
        assert guess(app, "198.51.100.2").status_code == 422
        waits.append(int(guess(app, "198.51.100.3").headers["Retry-After"]))
    assert waits == [120, 240, 480, 960, 1920, 3600, 3600]  # doubling, at most an hour


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(app, ann):
    known = [guess(app, f"203.0.113.{i}").status_code for i in range(8)]
    unknown = [guess(app, f"203.0.113.{i}", email="nobody@example.com").status_code for i in range(8)]
    assert known == unknown == [422] * 5 + [429] * 3


def test_the_owners_own_browser_is_never_held_back(app, ann, auth):
    auth.signin()  # Ann's browser has signed in before: it carries the device cookie
    auth.signout()
    for i in range(20):
        guess(app, f"203.0.113.{i}")
    assert guess(app, "203.0.113.99", password="correct horse").status_code == 429  # a new browser waits
    assert auth.signin().headers["Location"] == "/dashboard"  # the owner does not
    with db.connection_context():
        assert PasswordThrottle.select().count() == 0  # and her sign-in ended the run


def test_after_100_wrong_passwords_in_a_row_only_a_known_browser_may_try(app, ann, auth, clock):
    auth.signin()
    auth.signout()
    for i in range(100):
        guess(app, "203.0.113.1")
        clock.advance(3601)
    assert guess(app, "203.0.113.2", password="correct horse").status_code == 429
    clock.advance(30 * 24 * 3600)
    assert guess(app, "203.0.113.2", password="correct horse").status_code == 429
    assert auth.signin().headers["Location"] == "/dashboard"


def test_reauth_guesses_from_a_stolen_session_are_throttled_recorded_and_logged(app, client, auth, clock, caplog):
    auth.signup()
    clock.advance(11 * 60)
    answers = []
    for i in range(10):
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        answers.append(client.post("/reauth", data={"password": "wrong guess"}).status_code)
    assert answers == [422] * 5 + [429] * 5
    with db.connection_context():
        failed = [e for e in SecurityEvent.select() if e.kind == "reauth_failed"]
    assert len(failed) == 5 and failed[0].ip == "203.0.113.0"
    assert "re-authentication failed" in caplog.text
    page = client.get("/account/activity").get_data(as_text=True)
    assert "Wrong password when confirming a change" in page


def test_the_decoy_for_unknown_emails_costs_what_the_costliest_stored_hash_costs(tmp_path, app):
    costly = PasswordHasher(time_cost=3, memory_cost=4096, parallelism=1)
    with db.connection_context():
        User.create(email="old@example.com", name="Old", password_hash=costly.hash("old password"))
    from app import create_app

    restarted = create_app({**{k: app.config[k] for k in ("TESTING", "DATABASE_URL", "SECRET_KEY", "ARGON2_TIME_COST",
                                                         "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")},
                            "RATELIMIT_STORAGE_URI": "memory://"})
    decoy = extract_parameters(restarted.extensions["authenticator"]._dummy_hash)
    assert (decoy.time_cost, decoy.memory_cost) == (3, 4096)
    # The app's own (cheaper) costs stay those of new hashes.
    assert extract_parameters(restarted.extensions["password_hasher"].hash("x")).time_cost == 1


def test_an_administrator_can_let_new_browsers_try_again(app, ann, clock):
    for i in range(8):
        guess(app, f"203.0.113.{i}")
    assert guess(app, "203.0.113.50", password="correct horse").status_code == 429
    result = app.test_cli_runner().invoke(args=["users", "unthrottle", "ann@example.com"])
    assert result.exit_code == 0 and "may try again" in result.output
    assert guess(app, "203.0.113.50", password="correct horse").status_code == 303
