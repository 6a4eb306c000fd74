"""Issue 16: passkeys (WebAuthn) beside SMS and the authenticator app.

Responses come from tests/soft_authenticator.py, a software authenticator
that signs with a real ES256 key; py_webauthn verifies them for real. The
relying-party id is PUBLIC_HOST ("localhost" here) and the accepted origin
https://localhost (PASSKEY_ORIGINS unset, not debug).
"""
import json

import pytest

from conftest import deliver_mail
from models import Challenge, MailMessage, Passkey, SecurityEvent, User, db
from soft_authenticator import SoftAuthenticator


def user_row(email="ann@example.com"):
    with db.connection_context():
        return User.get(User.email == email)


def passkeys(email="ann@example.com"):
    with db.connection_context():
        return list(Passkey.select().join(User).where(User.email == email).order_by(Passkey.id))


def kinds():
    with db.connection_context():
        return [e.kind for e in SecurityEvent.select().order_by(SecurityEvent.id)]


def mail_subjects(app):
    deliver_mail(app)
    with db.connection_context():
        return [m.subject for m in MailMessage.select().order_by(MailMessage.id)]


def add_passkey(client, auth, key, name="My phone", step_up=True):
    """Add `key` through the pages after the step-up: the options, then the form with the answer."""
    if step_up:
        auth.step_up()
    assert client.get("/two-step/passkeys").status_code == 200
    options = client.post("/two-step/passkeys/options")
    assert options.status_code == 200 and options.mimetype == "application/json", options.get_data(as_text=True)
    response = client.post("/two-step/passkeys", data={"name": name, "credential": key.create(options.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"] == "/account", response.get_data(as_text=True)
    return response


@pytest.fixture
def ann(client, auth):
    """Ann: two-step verification on by SMS, signed in."""
    auth.signup()
    auth.enrol()
    return client


@pytest.fixture
def with_passkey(client, auth, ann):
    """Ann with one passkey, signed out. Returns the authenticator."""
    key = SoftAuthenticator()
    add_passkey(client, auth, key)
    auth.signout()
    return key


def signin_options(client):
    response = client.post("/signin/passkey/options")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_adding_a_passkey_stores_its_public_data_records_it_and_mails_the_owner(client, auth, ann):
    auth.step_up()
    page = client.get("/two-step/passkeys").get_data(as_text=True)
    assert "Add a passkey" in page and 'data-passkey="create"' in page and "<script" not in page.split("<main", 1)[1]
    options = json.loads(client.post("/two-step/passkeys/options").get_data(as_text=True))
    assert options["rp"] == {"id": "localhost", "name": "beSTREAM"}
    assert options["user"]["name"] == "ann@example.com" and "ann" not in options["user"]["id"]
    assert options["excludeCredentials"] == [] and len(options["challenge"]) >= 43
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    key = SoftAuthenticator(synced=True)
    response = client.post("/two-step/passkeys", data={"name": "  My   phone ", "credential": key.create(options)})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    [row] = passkeys()
    assert (row.name, row.credential_id, row.sign_count, row.transports) == ("My phone", key.id, 0, "hybrid,internal")
    assert row.backup_eligible and row.backed_up and row.last_used_at is None
    assert row.public_key and "BEGIN" not in row.public_key  # the COSE key, base64url
    assert user_row().second_step_method == "passkey"  # sign-in opens on it next time
    assert "passkey_added" in kinds()
    assert "beSTREAM: A passkey was added" in mail_subjects(client.application)
    account = client.get("/account").get_data(as_text=True)
    assert "Passkeys" in account and "My phone" in account and "Not used yet." in account
    # The change used the step-up up: a second passkey asks again.
    assert client.post("/two-step/passkeys/options").status_code in (302, 303)
    # The same authenticator is excluded next time.
    auth.step_up()
    again = json.loads(client.post("/two-step/passkeys/options").get_data(as_text=True))
    assert [c["id"] for c in again["excludeCredentials"]] == [key.id]


def test_sign_in_opens_on_the_passkey_sends_no_sms_and_a_real_assertion_signs_in(client, auth, outbox, with_passkey):
    sent = outbox.count()
    response = auth.signin()
    assert response.status_code == 303 and response.headers["Location"] == "/signin/passkey"
    assert outbox.count() == sent
    page = client.get("/signin/passkey").get_data(as_text=True)
    assert "Use a passkey" in page and "Try another method" in page
    assert 'data-needs-webauthn hidden' in page  # shown by static/js/passkeys.js only where WebAuthn is
    assert client.get("/dashboard").status_code == 302  # nothing granted yet
    options = json.loads(signin_options(client))
    assert options["rpId"] == "localhost" and [c["id"] for c in options["allowCredentials"]] == [with_passkey.id]
    signins = kinds().count("signin")
    response = client.post("/signin/passkey", data={"credential": with_passkey.get(options)})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert kinds().count("signin") == signins + 1
    [row] = passkeys()
    assert row.sign_count == 1 and row.last_used_at is not None


def test_the_htmx_passkey_sign_in_swaps_the_whole_page(client, auth, with_passkey):
    auth.signin()
    response = client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client))}, htmx=True)
    assert response.headers["HX-Redirect"] == "/dashboard"


def test_an_answer_is_used_once_and_a_replay_or_an_old_challenge_is_refused(client, auth, with_passkey, clock):
    auth.signin()
    answer = with_passkey.get(signin_options(client))
    first = client.post("/signin/passkey", data={"credential": answer})
    assert first.status_code == 303
    auth.signout()
    auth.signin()
    signin_options(client)  # a new challenge: the old answer is for the old one
    replay = client.post("/signin/passkey", data={"credential": answer})
    assert replay.status_code == 422 and "That passkey was not accepted." in replay.get_data(as_text=True)
    # The same answer twice in one sign-in: the challenge was taken by the first try.
    fresh = with_passkey.get(signin_options(client))
    client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client), origin="https://evil.example")})
    again = client.post("/signin/passkey", data={"credential": fresh})
    assert again.status_code == 409 and "This passkey request has expired." in again.get_data(as_text=True)
    # An answer to options older than 5 minutes.
    late = with_passkey.get(signin_options(client))
    clock.advance(301)
    expired = client.post("/signin/passkey", data={"credential": late})
    assert expired.status_code == 409
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("change", ["origin", "rp_id", "other_key", "counter_back", "tampered"])
def test_a_wrong_answer_is_refused_and_counts_against_the_sign_in_not_the_account(client, auth, with_passkey, change):
    auth.signin()
    client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client))})
    auth.signout()  # the stored counter is 1 now
    auth.signin()
    options = signin_options(client)
    if change == "origin":
        answer = with_passkey.get(options, origin="https://localhost.evil.example")
    elif change == "rp_id":
        answer = with_passkey.get(options, rp_id="evil.example")
    elif change == "other_key":
        stranger = SoftAuthenticator()
        stranger.credential_id = with_passkey.credential_id  # its id, another key
        answer = stranger.get(options)
    elif change == "counter_back":
        answer = with_passkey.get(options, counter=1)  # not above the stored 1: a cloned authenticator?
    else:
        body = json.loads(with_passkey.get(options))
        body["response"]["signature"] = body["response"]["signature"][:-4] + "AAAA"
        answer = json.dumps(body)
    response = client.post("/signin/passkey", data={"credential": answer})
    assert response.status_code == 422 and "That passkey was not accepted." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    row = user_row()
    assert row.second_step_failures == 0 and row.locked_until is None  # not a guess at a code
    with db.connection_context():
        assert Challenge.select().where(Challenge.purpose == "signin", Challenge.failures == 1).count() == 1
    assert passkeys()[0].sign_count == 1


@pytest.mark.settings(LOCKOUT_FAILURES=3)
def test_wrong_answers_end_the_pending_sign_in_after_lockout_failures(client, auth, with_passkey):
    auth.signin()
    for _ in range(2):
        answer = with_passkey.get(signin_options(client), origin="https://evil.example")
        assert client.post("/signin/passkey", data={"credential": answer}).status_code == 422
    answer = with_passkey.get(signin_options(client), origin="https://evil.example")
    response = client.post("/signin/passkey", data={"credential": answer})
    assert response.status_code == 429 and "Too many wrong codes for this sign-in." in response.get_data(as_text=True)
    # The password is asked again; the account itself is not locked.
    assert client.post("/signin/passkey/options").headers["Location"] == "/signin"
    assert user_row().locked_until is None
    auth.signin()
    assert client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client))}).status_code == 303


def test_another_accounts_passkey_does_not_sign_in_here(client, auth, with_passkey):
    auth.signup("bob@example.com", name="Bob")
    auth.enrol("+81 90-1234-5679")
    bobs = SoftAuthenticator()
    add_passkey(client, auth, bobs)
    auth.signout()
    auth.signin()  # Ann
    response = client.post("/signin/passkey", data={"credential": bobs.get(signin_options(client))})
    assert response.status_code == 422 and client.get("/dashboard").status_code == 302


def test_synced_passkeys_keep_a_zero_counter(client, auth, ann):
    key = SoftAuthenticator(synced=True, counting=False)
    add_passkey(client, auth, key)
    auth.signout()
    for _ in range(2):
        auth.signin()
        assert client.post("/signin/passkey", data={"credential": key.get(signin_options(client))}).status_code == 303
        auth.signout()
    assert passkeys()[0].sign_count == 0


def test_a_passkey_works_while_codes_are_locked_and_ends_the_lock(client, auth, with_passkey, app):
    with db.connection_context():
        User.update(second_step_failures=10, lock_rounds=1,
                    locked_until=User.select(User.created_at).scalar().replace(year=2100)).execute()
    auth.signin()
    response = client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client))})
    assert response.status_code == 303
    row = user_row()
    assert row.locked_until is None and row.second_step_failures == 0


def test_try_another_method_offers_a_passkey_exactly_when_the_account_has_one(client, auth, ann):
    auth.signout()
    auth.signin()
    page = client.get("/signin/another-method").get_data(as_text=True)
    assert "/signin/passkey" not in page
    assert client.get("/signin/passkey").headers["Location"] == "/signin/another-method"
    assert client.post("/signin/passkey/options").status_code == 409
    auth.signin_with_passcode()
    add_passkey(client, auth, SoftAuthenticator())
    auth.signout()
    auth.signin()
    page = client.get("/signin/another-method").get_data(as_text=True)
    assert '<li data-needs-webauthn hidden><a class="button" href="/signin/passkey"' in page
    assert "SMS passcode" in page and "Recovery code" in page


def test_bad_input_gets_a_clear_4xx_and_nothing_changes(client, auth, ann):
    auth.step_up()
    key = SoftAuthenticator()
    options = client.post("/two-step/passkeys/options").get_data(as_text=True)
    cases = [
        ({"name": "", "credential": key.create(options)}, 422, "Give the passkey a name."),
        ({"name": "x" * 61, "credential": key.create(options)}, 422, "Enter at most 60 characters."),
        ({"name": "bad\u202ename", "credential": key.create(options)}, 422, "Give the passkey a name of up to 60"),
        ({"name": "My phone"}, 400, "Your browser did not send a passkey."),
        ({"name": "My phone", "credential": "not json"}, 400, "That passkey was not accepted."),
        ({"name": "My phone", "credential": "[1, 2]"}, 400, "That passkey was not accepted."),
        ({"name": "My phone", "credential": "{" + " " * 70000 + "}"}, 413, "What you sent is too large."),
        ({"name": "My phone", "credential": '{"id": "x", "response": {}}'}, 422, "That passkey was not accepted."),
    ]
    for data, status, message in cases:
        response = client.post("/two-step/passkeys", data=data)
        assert response.status_code == status, (data.get("name"), response.status_code)
        assert message in response.get_data(as_text=True), data.get("name")
    assert passkeys() == []
    # Signing in: a missing or junk answer.
    auth.signin_with_passcode()
    add_passkey(client, auth, key)
    auth.signout()
    auth.signin()
    assert client.post("/signin/passkey", data={}).status_code == 400
    assert client.post("/signin/passkey", data={"credential": "]["}).status_code == 400
    without_options = client.post("/signin/passkey", data={"credential": key.get({"challenge": "AAAA"})})
    assert without_options.status_code == 409
    assert client.post("/two-step/passkeys/99/remove").status_code in (302, 303)  # signed out: sign in first


def test_a_stolen_cookie_cannot_add_or_remove_a_passkey(client, auth, ann):
    key = SoftAuthenticator()
    add_passkey(client, auth, key)
    [row] = passkeys()
    # Signed in, but no password typed again and no second factor in this session: every step refuses.
    options = client.post("/two-step/passkeys/options")
    assert options.status_code == 303 and options.headers["Location"].startswith("/reauth")
    answer = client.post("/two-step/passkeys", data={"name": "Mine now", "credential": key.create({"challenge": "AAAA"})})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/reauth")
    remove = client.post(f"/two-step/passkeys/{row.id}/remove")
    assert remove.status_code == 303 and remove.headers["Location"].startswith("/reauth")
    # The password alone is not enough either.
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    remove = client.post(f"/two-step/passkeys/{row.id}/remove")
    assert remove.status_code == 303 and remove.headers["Location"] == "/two-step/verify"
    assert len(passkeys()) == 1 and kinds().count("passkey_removed") == 0


def test_removing_a_passkey_records_it_mails_the_owner_and_sign_in_opens_on_sms_again(client, auth, outbox, ann):
    add_passkey(client, auth, SoftAuthenticator(), name="Laptop")
    [row] = passkeys()
    auth.step_up()
    page = client.get(f"/two-step/passkeys/{row.id}/remove").get_data(as_text=True)
    assert "Remove a passkey" in page and "Laptop" in page
    assert client.get("/two-step/passkeys/999999/remove").status_code == 404  # not this account's
    response = client.post(f"/two-step/passkeys/{row.id}/remove")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert passkeys() == [] and "passkey_removed" in kinds()
    assert "beSTREAM: A passkey was removed" in mail_subjects(client.application)
    assert user_row().second_step_method is None
    auth.signout()
    sent = outbox.count()
    assert auth.signin().headers["Location"] == "/signin/passcode" and outbox.count() == sent + 1


def test_unsubscribe_removes_the_passkeys_with_the_rest(client, auth, ann):
    add_passkey(client, auth, SoftAuthenticator())
    auth.step_up()
    assert client.post("/two-step/unsubscribe").status_code == 303
    assert passkeys() == []


def test_adding_needs_two_step_verification_set_up(client, auth):
    auth.signup()
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    response = client.post("/two-step/passkeys/options")
    assert response.status_code == 409
    assert "Set up two-step verification with your phone number first." in json.loads(response.get_data(as_text=True))["error"]


@pytest.mark.settings(PASSKEY_ORIGINS="https://app.example.com, https://example.com/", PUBLIC_HOST="example.com")
def test_passkey_origins_and_the_relying_party_id_come_from_the_settings(client, auth, ann):
    auth.step_up()
    options = client.post("/two-step/passkeys/options").get_data(as_text=True)
    assert json.loads(options)["rp"]["id"] == "example.com"
    key = SoftAuthenticator(origin="https://app.example.com", rp_id="example.com")
    refused = client.post("/two-step/passkeys", data={"name": "a", "credential": SoftAuthenticator(
        origin="https://localhost", rp_id="example.com").create(options)})
    assert refused.status_code == 422
    auth.step_up()
    add_passkey(client, auth, key, step_up=False)


def test_the_operator_sees_the_passkeys_and_a_reset_removes_them(client, auth, ann):
    add_passkey(client, auth, SoftAuthenticator(), name="Pixel")
    runner = client.application.test_cli_runner()
    status = runner.invoke(args=["two-step", "status", "ann@example.com"])
    assert "Passkeys:  1" in status.output and "'Pixel', added" in status.output and "not used yet" in status.output
    assert runner.invoke(args=["two-step", "reset", "ann@example.com", "--yes"]).exit_code == 0
    assert passkeys() == []
    assert "Passkeys:  -" in runner.invoke(args=["two-step", "status", "ann@example.com"]).output


def test_a_passkey_is_a_second_factor_for_the_step_up(client, auth, ann):
    key = SoftAuthenticator()
    add_passkey(client, auth, key)
    # Without the password typed again, the passkey step-up opens nothing (a stolen cookie alone).
    refused = client.post("/two-step/verify/passkey/options")
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/reauth")
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    assert client.post("/two-step/off").headers["Location"] == "/two-step/verify"  # remembered as the change
    page = client.get("/two-step/verify").get_data(as_text=True)
    assert '<p data-needs-webauthn hidden><a href="/two-step/verify/passkey"' in page
    assert "Use a passkey" in client.get("/two-step/verify/passkey").get_data(as_text=True)
    options = client.post("/two-step/verify/passkey/options")
    assert options.status_code == 200
    answer = key.get(options.get_data(as_text=True))
    wrong = client.post("/two-step/verify/passkey", data={"credential": key.get(
        client.post("/two-step/verify/passkey/options").get_data(as_text=True), origin="https://evil.example")})
    assert wrong.status_code == 422  # and it took that challenge: the earlier answer is for an older one
    assert client.post("/two-step/verify/passkey", data={"credential": answer}).status_code == 409
    options = client.post("/two-step/verify/passkey/options").get_data(as_text=True)
    response = client.post("/two-step/verify/passkey", data={"credential": key.get(options)})
    assert response.status_code == 303 and response.headers["Location"] == "/two-step/off"
    assert client.post("/two-step/off").status_code == 303  # the change goes through
    assert user_row().two_step == "off" and passkeys()[0].sign_count == 3


def test_the_same_passkey_twice_is_refused_and_nothing_is_half_written(client, auth, ann):
    key = SoftAuthenticator()
    add_passkey(client, auth, key)
    auth.step_up()
    options = client.post("/two-step/passkeys/options").get_data(as_text=True)
    events_before = kinds()
    response = client.post("/two-step/passkeys", data={"name": "Again", "credential": key.create(options)})
    assert response.status_code == 409 and "This passkey is already added." in response.get_data(as_text=True)
    assert [row.name for row in passkeys()] == ["My phone"] and kinds() == events_before


def test_the_second_step_opens_on_the_method_used_last(client, auth, outbox, with_passkey):
    assert auth.signin().headers["Location"] == "/signin/passkey"
    sent = outbox.count()
    assert client.post("/signin/text-message").headers["Location"] == "/signin/passcode"  # Try another method
    assert outbox.count() == sent + 1
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).headers["Location"] == "/dashboard"
    auth.signout()
    assert auth.signin().headers["Location"] == "/signin/passcode"  # SMS was used last
    auth.signin_with_passcode()
    auth.signout()
    auth.signin()
    client.get("/signin/passkey")
    assert client.post("/signin/passkey", data={"credential": with_passkey.get(signin_options(client))}).status_code == 303
    auth.signout()
    assert auth.signin().headers["Location"] == "/signin/passkey"  # and the passkey again


def test_deeply_nested_json_is_refused_with_a_4xx_not_a_500(client, auth, ann):
    # An attacker's answer of nested arrays within the size limit: Python's json raises RecursionError,
    # which is no ValueError; every passkey form must still answer "not accepted", never a 500.
    nested = '{"id": ' + "[" * 5000 + "]" * 5000 + "}"
    auth.step_up()
    client.post("/two-step/passkeys/options")
    response = client.post("/two-step/passkeys", data={"name": "My phone", "credential": nested})
    assert response.status_code == 400 and "That passkey was not accepted." in response.get_data(as_text=True)
    assert passkeys() == []
    key = SoftAuthenticator()
    add_passkey(client, auth, key)
    auth.step_up()
    client.post("/two-step/verify/passkey/options")
    assert client.post("/two-step/verify/passkey", data={"credential": nested}).status_code == 400
    auth.signout()
    auth.signin()
    signin_options(client)
    assert client.post("/signin/passkey", data={"credential": nested}).status_code == 400


def test_a_credential_id_over_1023_bytes_is_refused_and_nothing_is_stored(client, auth, ann):
    # WebAuthn (registration step "credentialId is at most 1023 bytes"): a longer id is refused, not
    # stored (on PostgreSQL it did not fit the column: a 500).
    key = SoftAuthenticator()
    key.credential_id = bytes(range(256)) * 4 + b"x" * 100  # 1124 bytes: 1499 characters of base64url
    auth.step_up()
    options = client.post("/two-step/passkeys/options").get_data(as_text=True)
    response = client.post("/two-step/passkeys", data={"name": "Long", "credential": key.create(options)})
    assert response.status_code == 422 and "That passkey was not accepted." in response.get_data(as_text=True)
    assert passkeys() == [] and "passkey_added" not in kinds()
