"""Issue 13: protections an attacker cannot turn against the people they protect.

Each test plays the attacker against the real pages, from several client
addresses where the attack needs them (the test client's REMOTE_ADDR, which is
what the app sees behind TRUSTED_PROXIES too), and asserts what the victim
sees: their SMS still comes, their recovery code still works, their old
session is over.
"""
import datetime
import itertools

import pytest

from conftest import PHONE, PHONE_E164, Auth, BrowserLikeClient, deliver_mail
from models import Challenge, MailMessage, SecurityEvent, SmsRecord, User, db
from twostep import limits

_n = itertools.count(1)


def browser(app, ip):
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def user_row(email="ann@example.com"):
    with db.connection_context():
        return User.get(User.email == email)


def kinds(email="ann@example.com"):
    with db.connection_context():
        return [e.kind for e in SecurityEvent.select().join(User).where(User.email == email)
                .order_by(SecurityEvent.id)]


@pytest.fixture
def mailbox(app):
    """The security e-mails the outbox mailer 'sent', oldest first."""
    def read():
        deliver_mail(app)  # the queue is sent where the test reads the mail
        with db.connection_context():
            return list(MailMessage.select().order_by(MailMessage.id))
    return read


@pytest.fixture
def victim(app, outbox):
    """Ann: two-step verification on with PHONE, signed out. Returns (her browser, her recovery code)."""
    client = browser(app, "198.51.100.7")
    auth = Auth(client, outbox)
    auth.signup()
    recovery = auth.enrol()
    auth.signout()
    return client, recovery


def throwaway_setup(app, outbox, ip, phone=PHONE):
    """An attacker's new account from `ip` types `phone` into the set-up step; returns the response."""
    client = browser(app, ip)
    Auth(client, outbox).signup(email=f"throwaway{next(_n)}@example.com")
    return client.post("/two-step/phone", data={"phone": phone})


def victim_signs_in(client, outbox):
    sent = outbox.count(PHONE_E164)
    response = client.post("/signin", data={"email": "ann@example.com", "password": "correct horse"})
    assert response.headers["Location"].endswith("/signin/passcode")
    assert outbox.count(PHONE_E164) == sent + 1, "the victim's sign-in SMS was not sent"
    done = client.post("/signin/passcode", data={"code": outbox.last_code(PHONE_E164)})
    assert done.headers["Location"] == "/dashboard"
    client.post("/signout")


# 1. Set-up SMS from other accounts never use up the budget of the account that confirmed the number.

def test_throwaway_setups_to_a_confirmed_number_cannot_block_its_owners_sign_in(app, outbox, victim, clock):
    client, _ = victim
    before = outbox.count(PHONE_E164)
    answers = [throwaway_setup(app, outbox, f"203.0.113.{i}").status_code for i in range(1, 11)]
    # A number another account has confirmed gets at most one set-up SMS a day, whoever asks.
    assert outbox.count(PHONE_E164) - before == 1
    assert answers.count(303) == 1 and answers.count(429) == 9
    for _ in range(4):  # the owner's own budget is whole: the account and number caps allow 5 an hour
        victim_signs_in(client, outbox)
        clock.advance(31)
    clock.advance(3600)
    assert throwaway_setup(app, outbox, "203.0.113.50").status_code == 429  # still within the day
    victim_signs_in(client, outbox)


def test_setup_to_an_unconfirmed_number_keeps_its_own_budget(app, outbox):
    answers = [throwaway_setup(app, outbox, f"203.0.113.{i}", phone="090-5555-0001").status_code for i in range(1, 8)]
    assert answers.count(303) == 5  # SMS_PER_NUMBER_HOUR
    assert outbox.count("+819055550001") == 5


# 2. The site's daily budget keeps a share for sign-in codes; IPv6 clients count by /64; sign-ups per client.

@pytest.mark.settings(SMS_DAILY_LIMIT=8, SMS_SIGNIN_RESERVE_PERCENT=50)
def test_setup_traffic_from_many_addresses_cannot_use_the_share_kept_for_sign_in(app, outbox, victim, clock):
    client, _ = victim  # her set-up used 1 of the 4 set-up SMS
    answers = [throwaway_setup(app, outbox, f"192.0.2.{i}", phone=f"090-7000-{i:04d}").status_code
               for i in range(1, 8)]
    assert answers.count(303) == 3 and answers.count(429) == 4
    refused = throwaway_setup(app, outbox, "192.0.2.99", phone="090-7000-0099")
    assert "This site has sent as many SMS as it may today" in refused.get_data(as_text=True)
    victim_signs_in(client, outbox)  # the reserved share is there


@pytest.mark.settings(SMS_PER_IP_DAY=3)
def test_an_ipv6_client_is_one_client_for_its_whole_slash_64(app, outbox):
    answers = [throwaway_setup(app, outbox, f"2001:db8:1:2::{i:x}", phone=f"090-7100-{i:04d}").status_code
               for i in range(1, 6)]
    assert answers == [303, 303, 303, 429, 429]
    # The next /64 is another client.
    assert throwaway_setup(app, outbox, "2001:db8:1:3::1", phone="090-7100-0099").status_code == 303
    with db.connection_context():
        assert {r.client for r in SmsRecord.select()} == {"2001:db8:1:2::/64", "2001:db8:1:3::/64"}


def test_client_key():
    assert limits.client_key("203.0.113.9") == "203.0.113.9"
    assert limits.client_key("2001:db8::1") == limits.client_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert limits.client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert limits.client_key("junk") == "junk"


@pytest.mark.settings(SIGNUPS_PER_IP_DAY=3)
def test_signups_per_client_per_day_are_capped(app, outbox, clock):
    client = browser(app, "2001:db8:9:9::1")
    for i in range(3):
        Auth(browser(app, f"2001:db8:9:9::{i + 1:x}"), outbox).signup(email=f"s{i}@example.com")
    refused = client.post("/signup", data={"email": "s9@example.com", "password": "correct horse", "name": "S"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # A refused sign-up (taken e-mail, bad input) is not counted; another client is not affected.
    Auth(browser(app, "198.51.100.200"), outbox).signup(email="other@example.com")


# 3. What one client can make the site send per day, all purposes together.

@pytest.mark.settings(SMS_PER_IP_DAY_ALL=6)
def test_sign_ins_from_one_client_cannot_pump_sms(app, outbox, clock):
    pump = browser(app, "203.0.113.77")
    auth = Auth(pump, outbox)
    for i in range(3):
        auth.signup(email=f"pump{i}@example.com")
        auth.enrol(phone=f"090-8000-{i:04d}")  # numbers the attacker reads: 3 SMS
        auth.signout()
    before = outbox.count()
    for round_ in range(5):
        for i in range(3):
            auth.signin(email=f"pump{i}@example.com")
            pump.post("/signout")
        clock.advance(31)
    assert outbox.count() - before == 3  # 6 a day from this client, 3 of them were the set-ups
    # Another client is not affected.
    other = Auth(browser(app, "198.51.100.1"), outbox)
    sent = outbox.count()
    other.signin(email="pump0@example.com")
    assert outbox.count() == sent + 1


# 4. Someone with the password cannot keep the owner out, and the owner is told.

def wrong(code):
    return "000000" if code != "000000" else "111111"


def test_wrong_recovery_codes_end_only_that_sign_in_and_the_owner_still_gets_in(app, outbox, victim, mailbox):
    client, recovery = victim
    attacker = browser(app, "203.0.113.66")
    attacker.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    for _ in range(3):  # three sign-ins with the password, ten wrong recovery codes each
        Auth(attacker, outbox).signin()
        answers = [attacker.post("/signin/recovery", data={"code": "AAAA-AAAA-AAAA-AAAA"}).status_code
                   for _ in range(10)]
        assert answers == [422] * 9 + [429]
        assert attacker.post("/signin/recovery", data={"code": recovery}).headers["Location"] == "/signin"
    assert user_row().locked_until is None  # no lock on the account
    # The owner: the SMS passcode and the recovery code both still work.
    victim_signs_in(client, outbox)
    Auth(client, outbox).signin()
    assert client.post("/signin/recovery", data={"code": recovery}).status_code == 200
    # Told once (one mail an hour at most), with the time, IP, browser and what to do.
    warnings = [m for m in mailbox() if "wrong code was entered" in m.subject]
    assert len(warnings) == 1
    assert "203.0.113.66" in warnings[0].body and "Firefox on Linux" in warnings[0].body
    assert "change your password" in warnings[0].body
    assert kinds().count("second_step_failed") == 3


def test_locks_grow_and_after_100_failures_only_the_recovery_code_opens(app, outbox, victim, clock, mailbox):
    client, recovery = victim
    from twostep.policy import Policy

    policy = Policy(passcode_key=b"k")
    with db.connection_context():
        user = user_row()
        lengths = [limits.lock_length(policy, rounds) for rounds in range(10)]
    assert [int(length.total_seconds() // 60) for length in lengths[:8]] == [15, 30, 60, 120, 240, 480, 960, 1440]
    assert lengths[9] == limits.UNTIL_RECOVERY
    # Drive the account to its 99th failure in a row directly; the 100th comes from a sign-in.
    Auth(client, outbox).signin()
    with db.connection_context():
        User.update(lock_rounds=9, second_step_failures=9).where(User.id == user.id).execute()
    assert client.post("/signin/passcode", data={"code": wrong(outbox.last_code(PHONE_E164))}).status_code == 422
    page = client.post("/signin/resend")
    assert page.status_code == 429 and "until the recovery code is used" in page.get_data(as_text=True)
    clock.advance(30 * 24 * 3600)  # a month later: still locked, no SMS
    sent = outbox.count(PHONE_E164)
    Auth(client, outbox).signin()
    assert outbox.count(PHONE_E164) == sent
    assert client.post("/signin/resend").status_code == 429
    assert client.post("/signin/recovery", data={"code": recovery}).status_code == 200
    assert user_row().locked_until is None and user_row().lock_rounds == 0
    assert any("Passcodes for your account are locked" in m.subject for m in mailbox())


# 5. A try counted but never settled cannot lock the second step for ever.

def test_a_stuck_count_without_a_lock_expires_with_the_lock_time(app, outbox, victim, clock):
    client, _ = victim
    Auth(client, outbox).signin()
    code = outbox.last_code(PHONE_E164)
    with db.connection_context():
        # What a worker killed between counting and checking used to leave behind.
        User.update(second_step_failures=10, locked_until=None, second_step_tried_at=clock.now()).where(
            User.email == "ann@example.com").execute()
    assert client.post("/signin/passcode", data={"code": code}).status_code == 429
    clock.advance(15 * 60 + 1)
    Auth(client, outbox).signin()
    done = client.post("/signin/passcode", data={"code": outbox.last_code(PHONE_E164)})
    assert done.headers["Location"] == "/dashboard"


def test_a_check_that_dies_half_way_leaves_no_count(app, outbox, victim, monkeypatch):
    client, _ = victim
    Auth(client, outbox).signin()

    def dies(*args):
        raise SystemExit("worker killed")

    monkeypatch.setattr("twostep.challenges.passcode_matches", dies)
    with pytest.raises(SystemExit):
        client.post("/signin/passcode", data={"code": outbox.last_code(PHONE_E164)})
    assert user_row().second_step_failures == 0
    with db.connection_context():
        assert Challenge.select().where(Challenge.purpose == "signin", Challenge.attempts > 0).count() == 0


# 6. A replay of the recovery code that just succeeded is not a wrong guess.

def test_replaying_the_recovery_code_that_just_signed_in_is_already_used_not_wrong(app, outbox, victim):
    client, recovery = victim
    Auth(client, outbox).signin()
    assert client.post("/signin/recovery", data={"code": recovery}).status_code == 200
    twin = browser(app, "198.51.100.7")
    for _ in range(3):
        Auth(twin, outbox).signin()
        replay = twin.post("/signin/recovery", data={"code": recovery})
        assert replay.status_code == 422 and "already been used" in replay.get_data(as_text=True)
    with db.connection_context():
        assert Challenge.select().where(Challenge.failures > 0).count() == 0
    assert "second_step_failed" not in kinds()


# 9. Open verifications end when the number changes (and with Off, Unsubscribe, a new recovery code, a reset).

def test_a_pending_sign_in_cannot_send_to_the_old_number_after_a_change(app, outbox, victim, clock):
    client, _ = victim
    attacker = browser(app, "203.0.113.5")
    Auth(attacker, outbox).signin()  # started before the change
    auth = Auth(client, outbox)
    auth.signin_with_passcode()
    auth.step_up()
    assert client.post("/two-step/number", data={"phone": "090-2222-3333"}).status_code == 303
    assert client.post("/two-step/change/passcode",
                       data={"code": outbox.last_code("+819022223333")}).headers["Location"] == "/account"
    clock.advance(31)
    sent = outbox.count(PHONE_E164)
    assert attacker.post("/signin/resend").headers["Location"] == "/signin"
    assert attacker.post("/signin/passcode", data={"code": outbox.last_code(PHONE_E164)}).headers["Location"] == "/signin"
    assert outbox.count(PHONE_E164) == sent


@pytest.mark.parametrize("change", ["off", "unsubscribe", "recovery-code"])
def test_other_changes_end_pending_sign_ins(app, outbox, victim, clock, change):
    client, _ = victim
    attacker = browser(app, "203.0.113.5")
    Auth(attacker, outbox).signin()
    code = outbox.last_code(PHONE_E164)
    Auth(client, outbox).signin_with_passcode()
    Auth(client, outbox).step_up()
    assert client.post(f"/two-step/{change}").status_code in (200, 303)
    assert attacker.post("/signin/passcode", data={"code": code}).headers["Location"] == "/signin"


def test_a_number_removed_by_an_administrator_gets_no_code(app, outbox, victim, clock):
    from twostep import settings as switches

    client, _ = victim
    attacker = browser(app, "203.0.113.5")
    Auth(attacker, outbox).signin()
    with db.connection_context():
        switches.reset_by_administrator(user_row())
    clock.advance(31)
    sent = outbox.count(PHONE_E164)
    assert attacker.post("/signin/resend").headers["Location"] == "/signin"
    assert outbox.count(PHONE_E164) == sent


# 10. The browser's previous session ends when the second step begins.

def test_starting_a_second_step_ends_the_browsers_previous_session(app, outbox, victim):
    client, _ = victim
    Auth(client, outbox).signup(email="bob@example.com", name="Bob")  # this browser: Bob, signed in
    old_cookie = client.get_cookie("session").value
    assert client.post("/signin", data={"email": "ann@example.com", "password": "correct horse"}).status_code == 303
    replay = browser(app, "198.51.100.7")
    replay.set_cookie("session", old_cookie)
    assert replay.get("/account").status_code == 302
