"""Races against a running production server (gunicorn, several workers), on SQLite and PostgreSQL.

An attacker (or a double-clicking user) sends the same request many times at
once from copies of one browser's cookie jar. The rules must decide each race
in the database (docs/security.md, "Passcodes" and "Recovery codes"): one passcode makes one session,
one recovery code one sign-in, a passcode gets at most PASSCODE_MAX_ATTEMPTS
guesses however many arrive together, and Resend never leaves two codes live.
"""
import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import reset_postgres
from live import PASSWORD, RECOVERY_RE, Browser, LiveServer, Records, enrolled_account, password_step
from twostep.codes import read_recovery_code, recovery_code_matches

MAX_ATTEMPTS = 5
RESEND_COOLDOWN = 2
_numbers = itertools.count(100)


def backends():
    return ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=backends())
def live(request, tmp_path_factory):
    """One server for the module's races; every test makes its own account and number."""
    directory = tmp_path_factory.mktemp(f"races-{request.param}")
    if request.param == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        reset_postgres(url)
    else:
        url = f"sqlite:///{directory}/app.sqlite3"
    # The per-account and per-number caps keep their defaults (5 an hour); every account here
    # comes from 127.0.0.1, so only the per-IP cap on new numbers is raised.
    server = LiveServer(directory, url, workers=3, threads=4, PASSCODE_MAX_ATTEMPTS=MAX_ATTEMPTS,
                        SMS_RESEND_COOLDOWN_SECONDS=RESEND_COOLDOWN, SMS_PER_IP_DAY=1000)
    with server:
        yield server, Records(url)
    log = server.log()
    assert "Traceback" not in log, log[-5000:]


@pytest.fixture
def account(live):
    """A new account with two-step verification on: (email, phone E.164, recovery code)."""
    server, records = live
    n = next(_numbers)
    email, phone, phone_e164 = f"race{n}@example.com", f"090-1234-{n:04d}", f"+81901234{n:04d}"
    recovery = enrolled_account(server.url, records, email, phone, phone_e164)
    return email, phone_e164, recovery


def all_at_once(tabs, request):
    """Run `request(tab, i)` for every tab in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(tabs))

    def run(i):
        barrier.wait(timeout=30)
        return request(tabs[i], i)

    with ThreadPoolExecutor(max_workers=len(tabs)) as pool:
        return list(pool.map(run, range(len(tabs))))


def assert_no_server_errors(responses):
    assert all(r.status_code < 500 for r in responses), sorted(r.status_code for r in responses)


def test_one_correct_passcode_sent_20_times_at_once_makes_exactly_one_session(live, account):
    server, records = live
    email, phone, _ = account
    browser = Browser(server.url)
    password_step(browser, email)
    code = records.last_code(phone)

    tabs = [browser.clone() for _ in range(20)]
    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/passcode", {"code": code}))

    assert_no_server_errors(responses)
    winners = [i for i, r in enumerate(responses)
               if r.status_code == 303 and r.headers["Location"].endswith("/dashboard")]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert records.live_sessions(email) == 1
    # The winner really is signed in; a loser's cookie jar is not.
    assert tabs[winners[0]].get("/dashboard").status_code == 200
    loser = next(i for i in range(20) if i not in winners)
    assert tabs[loser].get("/dashboard").status_code == 302


def test_one_recovery_code_used_20_times_at_once_signs_in_exactly_once(live, account):
    server, records = live
    email, _, recovery = account
    browser = Browser(server.url)
    password_step(browser, email)
    before = records.user(email).recovery_hash

    tabs = [browser.clone() for _ in range(20)]
    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/recovery", {"code": recovery}))

    assert_no_server_errors(responses)
    winners = [r for r in responses if r.status_code == 200 and RECOVERY_RE.search(r.text)]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert records.live_sessions(email) == 1
    user = records.user(email)
    assert user.two_step == "on" and user.recovery_hash != before
    # The one new code shown is the account's code now.
    shown = read_recovery_code(RECOVERY_RE.search(winners[0].text).group(1))
    assert recovery_code_matches(user.recovery_hash, shown)
    # A double submit of the right code is not a wrong guess (issue 13): nothing counted, nobody told "not right".
    assert user.second_step_failures == 0 and user.locked_until is None
    assert records.signin_challenges(email)[-1].failures == 0
    assert not [r for r in responses if "is not right" in r.text]


def test_fifty_wrong_guesses_at_once_get_at_most_five_evaluated(live, account):
    server, records = live
    email, phone, _ = account
    browser = Browser(server.url)
    password_step(browser, email)
    code = records.last_code(phone)
    wrong = [f"{(int(code) + k) % 10**6:06d}" for k in range(1, 51)]

    tabs = [browser.clone() for _ in range(50)]
    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/passcode", {"code": wrong[i]}))

    assert_no_server_errors(responses)
    evaluated = [r for r in responses if "is not right" in r.text]
    assert 1 <= len(evaluated) <= MAX_ATTEMPTS
    challenge = records.signin_challenges(email)[-1]
    assert challenge.attempts == MAX_ATTEMPTS
    assert records.user(email).second_step_failures == len(evaluated)
    # The code is void now: even the right one no longer signs in.
    response = browser.post("/signin/passcode", {"code": code})
    assert response.status_code != 303 and "no longer works" in response.text
    assert records.live_sessions(email) == 0


def test_resend_pressed_20_times_at_once_leaves_one_live_code(live, account):
    server, records = live
    email, phone, _ = account
    browser = Browser(server.url)
    password_step(browser, email)
    first = records.last_code(phone)
    sent_before = len(records.codes(phone))
    time.sleep(RESEND_COOLDOWN + 0.2)  # the first code's cooldown is over: every click could resend

    tabs = [browser.clone() for _ in range(20)]
    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/resend"))

    assert_no_server_errors(responses)
    # The account has used 2 of its 5 SMS this hour: the caps allow 3 more, the cooldown one.
    assert sum(r.status_code == 303 for r in responses) == 1, [r.status_code for r in responses]
    assert all(r.status_code in (303, 429) for r in responses)
    codes = records.codes(phone)
    assert len(codes) == sent_before + 1  # one SMS, not twenty
    second = codes[-1]
    assert second != first  # a new code (the same one again has one chance in a million)
    response = browser.post("/signin/passcode", {"code": first})
    assert response.status_code == 422 and "is not right" in response.text
    response = browser.post("/signin/passcode", {"code": second})
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard")


def test_wrong_guesses_at_once_on_several_sign_ins_stop_at_the_lockout(live, account):
    """Three pending sign-ins allow 3 x 5 guesses, but the account locks after LOCKOUT_FAILURES (10)."""
    server, records = live
    email, phone, _ = account
    browsers = [Browser(server.url) for _ in range(3)]
    for browser in browsers:
        password_step(browser, email)
    right = records.last_code(phone)
    tabs = [browser.clone() for browser in browsers for _ in range(MAX_ATTEMPTS)]
    wrong = [f"{(int(right) + k) % 10**6:06d}" for k in range(1, len(tabs) + 1)]

    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/passcode", {"code": wrong[i]}))

    assert_no_server_errors(responses)
    evaluated = [r for r in responses if "is not right" in r.text]
    assert len(evaluated) <= 10, len(evaluated)
    user = records.user(email)
    assert user.locked_until is not None
    # Locked: the right code of the newest sign-in is refused too.
    response = browsers[-1].post("/signin/passcode", {"code": right})
    assert response.status_code == 429 and "locked" in response.text


def test_twenty_sign_ins_at_once_get_exactly_the_sms_the_hourly_cap_allows(live, account):
    """The set-up used 1 of the account's 5 SMS this hour: of 20 parallel sign-ins, exactly 4 get one."""
    server, records = live
    email, phone, _ = account
    assert len(records.codes(phone)) == 1
    browsers = [Browser(server.url) for _ in range(20)]
    for browser in browsers:
        browser.get("/signin")

    responses = all_at_once(browsers, lambda browser, i: browser.post(
        "/signin", {"email": email, "password": PASSWORD}))

    assert_no_server_errors(responses)
    assert all(r.status_code == 303 for r in responses)  # the passcode screen opens, and says why if no SMS
    assert len(records.codes(phone)) == 5


def test_one_reset_link_used_from_20_browsers_at_once_sets_exactly_one_password(live, account):
    """Twenty browsers open the same "Forgot password?" link and choose twenty passwords at once:
    exactly one password is set, and it is the one that got the 303."""
    server, records = live
    email, _phone, _recovery = account
    asker = Browser(server.url)
    asker.get("/password/forgot")
    assert asker.post("/password/forgot", {"email": email}).status_code == 303
    link = records.mail_link(email, "/password/reset")
    tabs = []
    for _ in range(20):
        tab = Browser(server.url)
        assert tab.get(link).status_code == 303
        tab.get("/password/reset")
        tabs.append(tab)
    responses = all_at_once(tabs, lambda tab, i: tab.post("/password/reset", {"password": f"new password {i:02d}"}))
    assert_no_server_errors(responses)
    winners = [i for i, r in enumerate(responses) if r.status_code == 303]
    assert len(winners) == 1, sorted(r.status_code for r in responses)
    from argon2 import PasswordHasher

    stored = records.user(email).password_hash
    assert PasswordHasher().verify(stored, f"new password {winners[0]:02d}")


def test_one_passkey_answer_sent_20_times_at_once_makes_exactly_one_session(live, account):
    """Issue 16: the WebAuthn challenge is taken off the pending sign-in once; the copies find it gone, and
    are not counted as tries (nor the account's failures)."""
    from live import sign_out
    from soft_authenticator import SoftAuthenticator

    server, records = live
    email, phone, _ = account
    browser = Browser(server.url)
    password_step(browser, email)
    assert browser.post("/signin/passcode", {"code": records.last_code(phone)}).status_code == 303
    browser.get("/dashboard")
    assert browser.post("/reauth", {"password": PASSWORD}).status_code == 303
    assert browser.post("/two-step/verify").status_code == 303
    assert browser.post("/two-step/verify/passcode", {"code": records.last_code(phone)}).status_code == 303
    key = SoftAuthenticator()
    options = browser.post("/two-step/passkeys/options")
    assert options.status_code == 200, options.text[:500]
    added = browser.post("/two-step/passkeys", {"name": "Phone", "credential": key.create(options.text)})
    assert added.status_code == 303, added.text[:2000]
    browser.get("/dashboard")
    sign_out(browser)
    browser.get("/signin")
    response = browser.post("/signin", {"email": email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/signin/passkey")
    browser.get("/signin/passkey")
    answer = key.get(browser.post("/signin/passkey/options").text)

    tabs = [browser.clone() for _ in range(20)]
    responses = all_at_once(tabs, lambda tab, i: tab.post("/signin/passkey", {"credential": answer}))

    assert_no_server_errors(responses)
    winners = [r for r in responses if r.status_code == 303 and r.headers["Location"].endswith("/dashboard")]
    assert len(winners) == 1, sorted(r.status_code for r in responses)
    assert records.live_sessions(email) == 1
    # The others found the challenge gone (409), or the pending sign-in already finished (back to /signin).
    assert all(r.status_code == 409 or r.headers.get("Location", "").endswith("/signin")
               for r in responses if r not in winners), sorted(r.status_code for r in responses)
    user = records.user(email)
    assert user.second_step_failures == 0 and records.signin_challenges(email)[-1].failures == 0
