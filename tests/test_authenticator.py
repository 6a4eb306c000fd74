"""Issue 16: an authenticator app (TOTP, RFC 6238) beside SMS.

Codes come from pyotp's TOTP, given an aware UTC time (the app counts the
time step itself from its naive UTC clock), at times frozen with the suite's
clock; the RFC's own vectors check both. Each flow runs as a plain browser (303s, no
JavaScript) and, where the answer differs, as htmx.
"""
import base64
import datetime
import re

import pyotp
import pytest

from conftest import BrowserLikeClient, deliver_mail
from models import Challenge, MailMessage, SecurityEvent, User, db
from twostep import totp

# A moment 10 s into a 30-second time step: codes of the steps around it are unambiguous.
T0 = datetime.datetime(2026, 12, 2, 4, 0, 10)
KEY_RE = re.compile(r'<p class="totp-key" id="totp-key"><code>([A-Z2-7 ]+)</code></p>')


def code_at(secret, moment):
    """What an authenticator app shows at `moment` (naive UTC), computed by pyotp."""
    return pyotp.TOTP(secret).at(moment.replace(tzinfo=datetime.timezone.utc))


def user_row(email="ann@example.com"):
    with db.connection_context():
        return User.get(User.email == email)


def kinds():
    with db.connection_context():
        return [e.kind for e in SecurityEvent.select().order_by(SecurityEvent.id)]


def mail_subjects(app):
    deliver_mail(app)  # as the sender thread would
    with db.connection_context():
        return [m.subject for m in MailMessage.select().order_by(MailMessage.id)]


@pytest.fixture
def frozen(clock):
    clock.freeze(T0)
    return clock


def now(clock):
    return clock.now()


def add_app(client, auth, clock, htmx=False):
    """Set up the authenticator app through the pages, after the step-up every change needs;
    return its secret (read off the page, as a person would)."""
    auth.step_up()
    page = client.get("/two-step/authenticator").get_data(as_text=True)
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    response = client.post("/two-step/authenticator", data={"code": code_at(secret, clock.now())}, htmx=htmx)
    if htmx:
        assert '"path": "/account"' in response.headers["HX-Location"]
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/account"
    return secret


@pytest.fixture
def with_app(client, auth, frozen):
    """Ann: two-step verification on by SMS, plus an authenticator app; signed out. Returns the app's secret."""
    auth.signup()
    auth.enrol()
    secret = add_app(client, auth, frozen)
    auth.signout()
    return secret


@pytest.mark.parametrize("htmx", [False, True])
def test_set_up_shows_an_inline_svg_qr_and_the_grouped_key_then_a_first_code_adds_the_app(
        client, auth, outbox, frozen, htmx, caplog):
    caplog.set_level("DEBUG")
    auth.signup()
    auth.enrol()
    auth.step_up()
    response = client.get("/two-step/authenticator", htmx=htmx)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # the key is on this page: no copy kept anywhere
    page = response.get_data(as_text=True)
    assert '<svg role="img" viewBox=' in page and "<title>" in page and "<img" not in page
    grouped = KEY_RE.search(page).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", grouped)  # 160 bits, in groups of four
    secret = grouped.replace(" ", "")
    # The QR code is the otpauth URI of the same key, made on the server (no image service, no script).
    assert "otpauth" not in page.split("<svg", 1)[0] and "<script" not in page.split("<main", 1)[-1]
    # Reloading keeps the key: the app may already have scanned it.
    assert KEY_RE.search(client.get("/two-step/authenticator").get_data(as_text=True)).group(1) == grouped

    wrong = f"{(int(code_at(secret, frozen.now())) + 1) % 10**6:06d}"
    refused = client.post("/two-step/authenticator", data={"code": wrong}, htmx=htmx)
    assert refused.status_code == 422 and "That code is not right." in refused.get_data(as_text=True)
    assert user_row().totp_secret is None

    frozen.advance(30)  # a fresh code (the refused one was this step's neighbour)
    response = client.post("/two-step/authenticator", data={"code": code_at(secret, frozen.now())}, htmx=htmx)
    if htmx:
        assert '"path": "/account"' in response.headers["HX-Location"]
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert user_row().totp_secret is not None
    assert "totp_added" in kinds()
    assert "beSTREAM: An authenticator app was added" in mail_subjects(client.application)
    account = client.get("/account").get_data(as_text=True)
    assert "Authenticator app" in account and "Remove" in account
    assert secret not in caplog.text and secret not in "".join(mail_subjects(client.application))  # never logged


def test_sign_in_with_the_app_opens_on_it_sends_no_sms_and_uses_real_codes(client, auth, outbox, with_app, frozen):
    sent = outbox.count()
    response = auth.signin()
    assert response.status_code == 303 and response.headers["Location"] == "/signin/authenticator"
    assert outbox.count() == sent  # no SMS: the app was the method used last
    page = client.get("/signin/authenticator").get_data(as_text=True)
    assert "Enter the code from your authenticator app" in page and "Try another method" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert client.get("/dashboard").status_code == 302  # nothing granted before the code
    signins = kinds().count("signin")
    frozen.advance(30)  # the set-up used this step's code
    response = client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert kinds().count("signin") == signins + 1


def test_the_htmx_sign_in_swaps_the_whole_page(client, auth, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    response = client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())}, htmx=True)
    assert response.headers["HX-Redirect"] == "/dashboard"


def test_a_replayed_code_is_refused(client, auth, with_app, frozen):
    # The set-up's own code cannot sign in during the same step.
    auth.signin()
    same = code_at(with_app, frozen.now())
    response = client.post("/signin/authenticator", data={"code": same})
    assert response.status_code == 422 and "That code was already used." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    frozen.advance(30)
    code = code_at(with_app, frozen.now())
    assert client.post("/signin/authenticator", data={"code": code}).headers["Location"] == "/dashboard"
    auth.signout()
    # Signed out and in again within the window: the code just used fails, from any browser.
    other = client.application.test_client()
    other.__class__ = BrowserLikeClient
    assert other.post("/signin", data={"email": "ann@example.com", "password": "correct horse"}).status_code == 303
    frozen.advance(5)
    response = other.post("/signin/authenticator", data={"code": code})
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)
    # An earlier step's code (still inside the window) is refused too: steps only move forward.
    response = other.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now() - datetime.timedelta(seconds=30))})
    assert response.status_code == 422
    assert other.get("/dashboard").status_code == 302


def test_the_window_is_one_step_either_side(client, auth, with_app, frozen):
    frozen.advance(120)
    auth.signin()
    moment = frozen.now()
    for outside in (-60, 60):  # two steps away
        response = client.post("/signin/authenticator",
                               data={"code": code_at(with_app, moment + datetime.timedelta(seconds=outside))})
        assert response.status_code == 422 and "That code is not right." in response.get_data(as_text=True)
    late = code_at(with_app, moment - datetime.timedelta(seconds=30))  # a phone a step behind
    assert client.post("/signin/authenticator", data={"code": late}).headers["Location"] == "/dashboard"
    auth.signout()
    frozen.advance(120)
    auth.signin()
    early = code_at(with_app, frozen.now() + datetime.timedelta(seconds=30))  # a phone a step ahead
    assert client.post("/signin/authenticator", data={"code": early}).headers["Location"] == "/dashboard"


@pytest.mark.settings(LOCKOUT_FAILURES=3, LOCKOUT_MINUTES=15)
def test_the_lock_counts_wrong_app_codes_and_stops_every_method(client, auth, outbox, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    right = code_at(with_app, frozen.now())
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    statuses = [client.post("/signin/authenticator", data={"code": wrong}).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]
    assert "second_step_locked" in kinds()
    frozen.advance(1)
    response = client.post("/signin/authenticator", data={"code": right})
    assert response.status_code == 429 and "locked for 15 more minutes" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    # The lock is the account's, not the method's: SMS is locked too, and no SMS is sent.
    sent = outbox.count()
    assert client.post("/signin/text-message", data={"sms-csrf_token": client.csrf_token()}).status_code == 429
    assert outbox.count() == sent
    frozen.advance(15 * 60)
    auth.signin()  # the pending sign-in expired meanwhile (10 minutes)
    code = code_at(with_app, frozen.now())
    assert client.post("/signin/authenticator", data={"code": code}).headers["Location"] == "/dashboard"


@pytest.mark.settings(LOCKOUT_FAILURES=4)
def test_app_and_sms_failures_add_up_to_one_count(client, auth, outbox, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    for _ in range(2):
        assert client.post("/signin/authenticator", data={"code": "000000"}).status_code in (422,)
    assert client.post("/signin/text-message", data={"sms-csrf_token": client.csrf_token()}).status_code == 303
    passcode = outbox.last_code()
    wrong = f"{(int(passcode) + 1) % 10**6:06d}"
    assert client.post("/signin/passcode", data={"code": wrong}).status_code == 422
    assert client.post("/signin/passcode", data={"code": wrong}).status_code in (422, 429)
    assert client.post("/signin/passcode", data={"code": passcode}).status_code == 429


def test_the_secret_is_not_readable_in_the_database(app, client, auth, with_app, frozen):
    raw_key = base64.b32decode(with_app)
    with db.connection_context():
        stored_user = db.execute_sql('SELECT totp_secret FROM "user" WHERE email = %s' if not app.config[
            "DATABASE_URL"].startswith("sqlite") else 'SELECT totp_secret FROM "user" WHERE email = ?',
            ("ann@example.com",)).fetchone()[0]
        pending = [c.secret for c in Challenge.select().where(Challenge.purpose == "totp")]
    assert stored_user and pending
    for value in [stored_user, *pending]:
        assert with_app not in value and with_app.lower() not in value
        assert raw_key not in value.encode() and raw_key.hex() not in value
        assert value.startswith("v1.")
    if app.config["DATABASE_URL"].startswith("sqlite"):
        db_file = app.config["DATABASE_URL"].removeprefix("sqlite:///")
        with db.connection_context():
            db.execute_sql("PRAGMA wal_checkpoint(FULL)")
        data = open(db_file, "rb").read()
        assert with_app.encode() not in data and raw_key not in data


def test_a_sealed_secret_copied_to_another_account_does_not_open(client, auth, with_app, frozen):
    auth.signup(email="bob@example.com", name="Bob")
    auth.enrol(phone="090-8765-4321")
    auth.signout()
    with db.connection_context():
        stolen = User.get(User.email == "ann@example.com").totp_secret
        User.update(totp_secret=stolen, totp_added_at=frozen.now(), second_step_method="totp").where(
            User.email == "bob@example.com").execute()
    assert auth.signin(email="bob@example.com").headers["Location"] == "/signin/authenticator"
    frozen.advance(30)
    response = client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())})
    assert response.status_code == 409 and "Try another method" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_try_another_method_lists_exactly_the_methods_the_account_has(client, auth, outbox, with_app, frozen):
    auth.signin()
    page = client.get("/signin/another-method").get_data(as_text=True)
    assert "Recovery code" in page and "SMS passcode" in page and "Authenticator app" in page
    assert "Passkey" not in page
    # No SMS was sent yet: the SMS choice sends one (a plain form, no JavaScript needed).
    assert "Send a 6-digit passcode by SMS to" in page
    sent = outbox.count()
    response = client.post("/signin/text-message", data={"sms-csrf_token": client.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/signin/passcode"
    assert outbox.count() == sent + 1
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).headers["Location"] == "/dashboard"
    auth.signout()
    # SMS was used last: the next sign-in opens on the passcode screen and sends the SMS, as the article says.
    assert auth.signin().headers["Location"] == "/signin/passcode"
    assert outbox.count() == sent + 2
    page = client.get("/signin/another-method").get_data(as_text=True)
    assert "Authenticator app" in page and "Back to the 6-digit passcode" in page


def test_an_account_without_the_app_is_not_offered_it(client, auth, outbox):
    auth.signup()
    auth.enrol()
    auth.signout()
    assert auth.signin().headers["Location"] == "/signin/passcode"
    page = client.get("/signin/another-method").get_data(as_text=True)
    assert "Authenticator app" not in page and "SMS passcode" in page and "Recovery code" in page
    response = client.get("/signin/authenticator")
    assert response.status_code == 303 and response.headers["Location"] == "/signin/another-method"
    response = client.post("/signin/authenticator", data={"code": "123456"})
    assert response.status_code == 303


def test_bad_input_gets_a_clear_4xx_and_every_post_needs_csrf(client, auth, with_app, frozen):
    auth.signin()
    for bad in ("12345", "abcdef", "１２３４５６", "1234567"):
        response = client.post("/signin/authenticator", data={"code": bad})
        assert response.status_code == 422, bad
        assert "Enter the 6-digit code your authenticator app shows." in response.get_data(as_text=True)
    assert client.post("/signin/authenticator", data={"code": ""}).status_code == 422
    assert client.post("/signin/authenticator", data={"code": "1" * 30}).status_code == 422
    assert client.post("/signin/authenticator", data={"code": "123456"}, csrf=False).status_code == 400
    assert client.post("/signin/text-message", data={}, csrf=False).status_code == 400
    frozen.advance(30)
    assert client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())}).status_code == 303
    assert client.post("/two-step/authenticator/remove", data={}, csrf=False).status_code == 400
    assert client.post("/two-step/authenticator", data={"code": "123456"}, csrf=False).status_code == 400


def test_the_set_up_refuses_bad_codes_and_voids_the_key_after_too_many(client, auth, frozen):
    auth.signup()
    auth.enrol()
    auth.step_up()
    first = KEY_RE.search(client.get("/two-step/authenticator").get_data(as_text=True)).group(1)
    assert client.post("/two-step/authenticator", data={"code": "12ab56"}).status_code == 422
    secret = first.replace(" ", "")
    wrong = f"{(int(code_at(secret, frozen.now())) + 1) % 10**6:06d}"
    for _ in range(4):
        assert client.post("/two-step/authenticator", data={"code": wrong}).status_code == 422
    response = client.post("/two-step/authenticator", data={"code": wrong})
    assert response.status_code == 409 and "This step has expired" in response.get_data(as_text=True)
    second = KEY_RE.search(response.get_data(as_text=True)).group(1)
    assert second != first  # a new key: the old one can no longer be confirmed
    response = client.post("/two-step/authenticator", data={"code": code_at(secret, frozen.now())})
    assert response.status_code == 422 and user_row().totp_secret is None


def test_an_account_without_two_step_cannot_add_the_app(client, auth):
    auth.signup()
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    response = client.get("/two-step/authenticator")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Set up two-step verification with your phone number first." in client.get("/account").get_data(as_text=True)
    assert "Add an authenticator app" not in client.get("/account").get_data(as_text=True)


def test_adding_and_removing_need_the_step_up(client, auth, outbox, frozen):
    auth.signup()
    auth.enrol()
    # Signing in (here: signing up) does not count: the password typed again, then a second factor.
    response = client.get("/two-step/authenticator")
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauth")
    response = client.post("/two-step/authenticator", data={"code": "123456"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauth")
    assert client.post("/reauth?next=/two-step/authenticator", data={"password": "correct horse"}).status_code == 303
    response = client.get("/two-step/authenticator")
    assert response.status_code == 303 and response.headers["Location"].startswith("/two-step/verify")
    assert client.post("/two-step/verify").status_code == 303
    assert client.post("/two-step/verify/passcode", data={"code": outbox.last_code()}).status_code == 303
    page = client.get("/two-step/authenticator").get_data(as_text=True)
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    assert client.post("/two-step/authenticator", data={"code": code_at(secret, frozen.now())}).status_code == 303
    # The step-up is used up by the change: removing needs a new one.
    response = client.post("/two-step/authenticator/remove", data={})
    assert response.status_code == 303 and not response.headers["Location"].startswith("/account")
    assert user_row().totp_secret is not None


def test_removing_the_app_is_recorded_mailed_and_sign_in_uses_sms_again(client, auth, outbox, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())})
    auth.step_up()
    assert "Its codes will no longer complete a sign-in." in client.get("/two-step/authenticator/remove").get_data(as_text=True)
    response = client.post("/two-step/authenticator/remove", data={})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert user_row().totp_secret is None and user_row().totp_step is None
    assert "totp_removed" in kinds()
    assert "beSTREAM: The authenticator app was removed" in mail_subjects(client.application)
    assert "Add an authenticator app" in client.get("/account").get_data(as_text=True)
    auth.step_up()
    assert client.post("/two-step/authenticator/remove", data={}).status_code == 409  # nothing left to remove
    auth.signout()
    sent = outbox.count()
    assert auth.signin().headers["Location"] == "/signin/passcode"
    assert outbox.count() == sent + 1


def test_unsubscribe_removes_the_app_with_the_rest(client, auth, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    client.post("/signin/authenticator", data={"code": code_at(with_app, frozen.now())})
    auth.step_up()
    assert client.post("/two-step/unsubscribe", data={}).status_code == 303
    row = user_row()
    assert row.two_step == "none" and row.totp_secret is None and row.second_step_method is None
    auth.signout()
    assert auth.signin().headers["Location"] == "/dashboard"


def test_our_codes_match_the_rfc_6238_vectors():
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890", 8 digits there: the last 6 are ours.
    secret = base64.b32encode(b"12345678901234567890").decode()
    vectors = {59: "94287082", 1111111109: "07081804", 1111111111: "14050471", 1234567890: "89005924",
               2000000000: "69279037", 20000000000: "65353130"}
    for seconds, code in vectors.items():
        moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
        assert totp.code_at(secret, totp.time_step(moment)) == code[-6:]


def test_the_qr_codes_uri_gives_an_app_the_key_the_site_and_the_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ann@example.com", "Stream: TV")
    app_view = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/")
    assert (app_view.secret, app_view.issuer, app_view.name) == (
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "Stream: TV", "ann@example.com")
    assert (app_view.digits, app_view.interval) == (6, 30)


def test_new_keys_are_160_random_bits():
    keys = {totp.new_secret() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(base64.b32decode(key)) == 20 for key in keys)


def test_one_code_used_from_twenty_parallel_sign_ins_signs_in_once(app, client, auth, with_app, frozen):
    import threading

    import accounts
    from twostep import authenticator
    from twostep.challenges import open_challenge

    frozen.advance(30)
    code = code_at(with_app, frozen.now())
    with db.connection_context():
        user = User.get()
        pending = [open_challenge(user.id, "signin", user.phone)[0] for _ in range(20)]
    policy = app.extensions["policy"]
    results, lock, barrier = [], threading.Lock(), threading.Barrier(20)

    def use(challenge):
        barrier.wait()
        try:
            with db.connection_context():
                signed_in = authenticator.complete_signin(policy, challenge, code, accounts.Browser())
                outcome = "signed in" if signed_in.id == user.id else signed_in
        except Exception as error:  # noqa: BLE001 - the outcome is what we count
            outcome = getattr(error, "message", type(error).__name__)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=use, args=(challenge,)) for challenge in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results.count("signed in") == 1, results
    assert len(results) == 20


def test_the_operator_sees_the_app_and_a_reset_removes_it(app, client, auth, with_app, frozen):
    runner = app.test_cli_runner()
    status = runner.invoke(args=["two-step", "status", "ann@example.com"])
    assert status.exit_code == 0 and "App:       added 2026-12-02 04:00 UTC" in status.output
    assert with_app not in status.output
    assert runner.invoke(args=["two-step", "reset", "ann@example.com", "--yes"]).exit_code == 0
    row = user_row()
    assert row.totp_secret is None and row.totp_step is None and row.second_step_method is None
    assert "App:       -" in runner.invoke(args=["two-step", "status", "ann@example.com"]).output
    # The reset also forces a new password (tests/test_cli.py proves the link); with it, no second step is asked.
    assert client.get(auth.mailbox.last_link("ann@example.com", "/password/reset")).status_code == 303
    assert client.post("/password/reset", data={"password": "a new password"}).status_code == 303
    assert auth.signin(password="a new password").headers["Location"] == "/dashboard"


def test_the_step_up_takes_the_apps_code_once_and_counts_wrong_ones(client, auth, outbox, with_app, frozen):
    auth.signin()
    frozen.advance(30)
    code = code_at(with_app, frozen.now())
    client.post("/signin/authenticator", data={"code": code})
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    response = client.get("/two-step/off")
    assert response.headers["Location"] == "/two-step/verify"
    page = client.get("/two-step/verify").get_data(as_text=True)
    assert "Use your authenticator app instead" in page
    sent = outbox.count()
    # The code that signed in cannot confirm the change: a code works once.
    response = client.post("/two-step/verify/authenticator", data={"code": code})
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)
    assert client.post("/two-step/verify/authenticator", data={"code": "12345"}).status_code == 422
    with db.connection_context():
        failures = User.get().second_step_failures
    assert failures == 1  # the replay counted; the malformed code did not
    frozen.advance(30)
    response = client.post("/two-step/verify/authenticator", data={"code": code_at(with_app, frozen.now())})
    assert response.status_code == 303 and response.headers["Location"] == "/two-step/off"
    assert outbox.count() == sent  # no SMS needed
    assert client.post("/two-step/off", data={}).status_code == 303
    assert user_row().two_step == "off"


def test_the_step_up_with_the_app_is_offered_only_to_accounts_that_have_one(client, auth):
    auth.signup()
    auth.enrol()
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    assert "Use your authenticator app instead" not in client.get("/two-step/verify").get_data(as_text=True)
    response = client.get("/two-step/verify/authenticator")
    assert response.status_code == 303 and response.headers["Location"] == "/two-step/verify"
    assert client.post("/two-step/verify/authenticator", data={"code": "123456"}, csrf=False).status_code == 400
