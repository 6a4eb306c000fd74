"""No open redirect through `next`, and sessions that end: after their lifetime, and on signing in as someone else."""
import pytest

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


def test_a_broken_hx_current_url_is_not_a_500(client, auth):
    auth.signup()
    response = client.post("/reauth?next=/account", data={"password": "correct horse"},
                           headers={"HX-Request": "true", "HX-Current-URL": "http://[bad"})
    assert response.status_code == 200 and "HX-Location" in response.headers


def test_nothing_from_before_the_password_step_survives_into_the_second_step(client, auth, outbox):
    """Session fixation: what a browser carried before the password (here its CSRF token, which an
    attacker could have planted) is dropped when the pending sign-in starts."""
    auth.signup()
    auth.enrol()
    auth.signout()
    before = client.csrf_token()
    assert client.post("/signin", data={"email": "ann@example.com", "password": "correct horse",
                                        "csrf_token": before}).headers["Location"].endswith("/signin/passcode")
    code = outbox.last_code()
    stale = client.post("/signin/passcode", data={"code": code, "csrf_token": before})
    assert stale.status_code == 400
    assert client.get("/dashboard").status_code == 302
    fresh = client.post("/signin/passcode", data={"code": code})
    assert fresh.headers["Location"].endswith("/dashboard")
