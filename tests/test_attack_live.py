"""Issue 13 against a production server (gunicorn, 2 workers, SQLite, outbox SMS), from several client
addresses (X-Forwarded-For through TRUSTED_PROXIES=1), bounded in count and time, on 127.0.0.1 only."""
import itertools

import pytest

from live import PHONE, PHONE_E164, Browser, LiveServer, Records, enrol, password_step, sign_out, sign_up

_n = itertools.count(1)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    directory = tmp_path_factory.mktemp("attack")
    url = f"sqlite:///{directory}/app.sqlite3"
    # RATELIMIT_STORAGE_URI empty: the default, which every worker must share.
    server = LiveServer(directory, url, workers=2, threads=2, TRUSTED_PROXIES=1, RATELIMIT_STORAGE_URI="",
                        RATELIMIT_SIGNIN="20 per minute", SIGNUPS_PER_IP_DAY=10, SMS_PER_IP_DAY_ALL=50)
    with server:
        yield server, Records(url)
    assert "Traceback" not in server.log(), server.log()[-5000:]


def client(server, ip):
    browser = Browser(server.url)
    browser.session.headers["X-Forwarded-For"] = ip
    return browser


def test_two_workers_share_the_per_ip_limit_by_default(live):
    server, _ = live
    attacker = client(server, "203.0.113.200")
    attacker.get("/signin")
    statuses = [attacker.post("/signin", {"email": f"nobody{i}@example.com", "password": "guess"}).status_code
                for i in range(40)]
    assert statuses.count(422) == 20 and statuses.count(429) == 20, statuses


def test_memory_storage_with_several_workers_refuses_to_start(tmp_path):
    server = LiveServer(tmp_path, f"sqlite:///{tmp_path}/app.sqlite3", workers=2, threads=1,
                        RATELIMIT_STORAGE_URI="memory://")
    with pytest.raises(RuntimeError, match="Refusing to start: RATELIMIT_STORAGE_URI is memory://"):
        server.start(timeout=20)
    server.stop()


def test_throwaway_setups_from_ten_addresses_cannot_block_the_owners_sign_in(live):
    server, records = live
    owner = client(server, "198.51.100.7")
    email = f"owner{next(_n)}@example.com"
    sign_up(owner, records, email)
    enrol(owner, records, PHONE, PHONE_E164)
    sign_out(owner)
    before = len(records.codes(PHONE_E164))
    answers = []
    for i in range(10):
        attacker = client(server, f"203.0.113.{i + 1}")
        sign_up(attacker, records, f"throwaway{next(_n)}@example.com")
        attacker.get("/two-step/phone")
        answers.append(attacker.post("/two-step/phone", {"phone": PHONE}).status_code)
    assert answers.count(429) >= 9
    assert len(records.codes(PHONE_E164)) - before <= 1
    page = password_step(owner, email)
    assert "Too many" not in page.text
    assert len(records.codes(PHONE_E164)) - before <= 2
    done = owner.post("/signin/passcode", {"code": records.last_code(PHONE_E164)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/dashboard")
