"""Two app servers behind one load balancer: one PostgreSQL, one Redis, one SECRET_KEY.

Whatever server a browser's next request lands on, the sign-in goes on:
a passcode asked for through one server is accepted through the other, and
the SMS caps, the lockout and the per-IP request limit count requests from
both (checklist item 34). Needs TEST_DATABASE_URL and TEST_REDIS_URL
(`.ci/run` sets both).
"""
import itertools
import os
import threading

import pytest

from conftest import reset_postgres
from live import Browser, LiveServer, Records, enrolled_account, password_step

DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not (DATABASE_URL and REDIS_URL),
                                reason="needs TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL (Redis)")
SMS_PER_ACCOUNT_HOUR = 4
_numbers = itertools.count(200)


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_pair(directory, **settings):
    """Start two servers at the same moment (they also race to migrate the fresh database)."""
    servers = [LiveServer(directory, DATABASE_URL, workers=2, threads=2, RATELIMIT_STORAGE_URI=REDIS_URL,
                          **settings) for _ in range(2)]
    errors = []

    def start(server):
        try:
            server.start()
        except Exception as error:  # reported below, after both had their chance
            errors.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        for server in servers:
            server.stop()
        raise errors[0]
    return servers


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    reset_postgres(DATABASE_URL)
    flush_redis()
    servers = start_pair(tmp_path_factory.mktemp("pair"), SMS_PER_ACCOUNT_HOUR=SMS_PER_ACCOUNT_HOUR)
    try:
        yield servers[0], servers[1], Records(DATABASE_URL)
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        assert "Traceback" not in server.log(), server.log()[-5000:]


def new_account(a, records):
    n = next(_numbers)
    email, phone, phone_e164 = f"pair{n}@example.com", f"090-1234-{n:04d}", f"+81901234{n:04d}"
    enrolled_account(a.url, records, email, phone, phone_e164)
    return email, phone_e164


def test_a_passcode_asked_for_through_one_server_is_accepted_through_the_other(pair):
    a, b, records = pair
    email, phone = new_account(a, records)
    on_a = Browser(a.url)
    password_step(on_a, email)

    on_b = on_a.clone(b.url)  # the load balancer sends the next request elsewhere
    response = on_b.post("/signin/passcode", {"code": records.last_code(phone)})

    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard")
    assert on_b.get("/dashboard").status_code == 200
    assert on_b.clone(a.url).get("/dashboard").status_code == 200  # and the session is good on both


def test_the_sms_cap_counts_codes_sent_through_both_servers(pair):
    a, b, records = pair
    email, phone = new_account(a, records)  # the set-up's code is the first of the hour
    for server in (a, b, a):
        password_step(Browser(server.url), email)
    assert len(records.codes(phone)) == SMS_PER_ACCOUNT_HOUR

    over = Browser(b.url)
    screen = password_step(over, email)
    assert len(records.codes(phone)) == SMS_PER_ACCOUNT_HOUR  # no fifth SMS
    assert "too many passcodes" in screen.text


def test_the_lockout_counts_wrong_codes_through_both_servers(pair):
    a, b, records = pair
    email, phone = new_account(a, records)
    first, second = Browser(a.url), Browser(b.url)
    password_step(first, email)
    password_step(second, email)
    right = records.last_code(phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for browser in (first, second):  # 5 + 5 wrong codes, through different servers
        for _ in range(5):
            response = browser.post("/signin/passcode", {"code": wrong})
            assert response.status_code == 422 and "is not right" in response.text

    third = Browser(a.url)
    password_step(third, email)
    response = third.clone(b.url).post("/signin/passcode", {"code": records.last_code(phone)})
    assert response.status_code == 429 and "locked" in response.text
    assert records.live_sessions(email) == 0


def test_the_per_ip_request_limit_is_shared_through_redis(tmp_path):
    reset_postgres(DATABASE_URL)
    flush_redis()
    a, b = start_pair(tmp_path, RATELIMIT_SIGNIN="6 per minute")
    try:
        statuses = []
        for i in range(8):  # wrong passwords, alternating between the servers
            browser = Browser((a, b)[i % 2].url)
            browser.get("/signin")
            # A new address each time: five wrong passwords for one address would start its own throttle.
            statuses.append(browser.post("/signin", {"email": f"x{i}@example.com", "password": "wrong-password"})
                            .status_code)
        # Each server alone saw only 4: the 7th and 8th are refused because Redis counts both.
        assert statuses == [422] * 6 + [429] * 2
    finally:
        a.stop()
        b.stop()
