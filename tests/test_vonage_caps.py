"""SMS caps and number checks against SMS pumping (checklist items 10-13), counted at the fake Vonage.

Over a cap the answer is 429 with Retry-After and a clear message, and no
request reaches the provider. Whatever an attacker scripts from one session
or one IP, the fake sees no more SMS than the caps allow.
"""
import logging

import pytest

from conftest import PHONE, Auth, BrowserLikeClient
from test_vonage_journeys import sms_records

CAP_STATUS = 429


def number(i):
    """The i-th valid Japanese mobile number (090-2000-0000 + i)."""
    return f"090-{2000 + i // 10000:04d}-{i % 10000:04d}"


def new_browser(app, fake, ip="127.0.0.1"):
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client, Auth(client, fake)


def assert_capped(response, message):
    page = response.get_data(as_text=True)
    assert response.status_code == CAP_STATUS, page[:500]
    assert int(response.headers["Retry-After"]) > 0
    assert message in page and "Please try again later." in page


def enrolled(app, fake, email="ann@example.com", phone=PHONE):
    client, auth = new_browser(app, fake)
    auth.signup(email=email)
    auth.enrol(phone)
    auth.signout()
    return client, auth


def test_per_account_hour_then_day(vonage_app, fake_vonage, clock):
    client, auth = enrolled(vonage_app, fake_vonage)  # 1 SMS (set-up)
    assert auth.signin().status_code == 303  # 2
    for _ in range(3):  # 3, 4, 5
        clock.advance(31)
        assert client.post("/signin/resend").status_code == 303
    clock.advance(31)
    response = client.post("/signin/resend")
    assert_capped(response, "You have asked for too many passcodes.")
    assert 3000 < int(response.headers["Retry-After"]) <= 3600
    assert fake_vonage.count() == 5

    # An hour later the hourly cap has room again, until the daily one (10) is reached.
    clock.advance(3600)
    assert auth.signin().status_code == 303  # 6 (the pending sign-in had expired)
    for _ in range(4):  # 7..10
        clock.advance(31)
        assert client.post("/signin/resend").status_code == 303
    clock.advance(31)
    response = client.post("/signin/resend")
    assert_capped(response, "You have asked for too many passcodes today.")
    assert int(response.headers["Retry-After"]) > 20 * 3600
    assert fake_vonage.count() == 10
    assert [r[1] for r in sms_records()].count("refused") == 2


@pytest.mark.settings(SMS_PER_ACCOUNT_HOUR=100, SMS_PER_ACCOUNT_DAY=100)
def test_per_number_across_accounts(vonage_app, fake_vonage, clock):
    # Two accounts that both confirmed one (family) number share its sign-in budget;
    # their set-up SMS came out of the number's other budget.
    first, first_auth = enrolled(vonage_app, fake_vonage, "ann@example.com")  # set-up
    second, second_auth = enrolled(vonage_app, fake_vonage, "bob@example.com")  # set-up (1 a day: taken number)
    assert first_auth.signin().status_code == 303  # 1 sign-in code to the number
    assert second_auth.signin().status_code == 303  # 2
    for client in (first, second, first):  # 3, 4, 5
        clock.advance(31)
        assert client.post("/signin/resend").status_code == 303
    clock.advance(31)
    assert_capped(second.post("/signin/resend"), "Too many passcodes were sent to this number.")
    assert fake_vonage.count() == 7


@pytest.mark.settings(SMS_PER_ACCOUNT_HOUR=100, SMS_PER_ACCOUNT_DAY=100, SMS_PER_NUMBER_DAY=3)
def test_per_number_per_day(vonage_app, fake_vonage, clock):
    client, auth = enrolled(vonage_app, fake_vonage)  # set-up: the number's other budget
    assert auth.signin().status_code == 303  # 1
    clock.advance(2 * 3600)
    assert auth.signin().status_code == 303  # 2
    clock.advance(2 * 3600)
    assert auth.signin().status_code == 303  # 3
    clock.advance(2 * 3600)
    auth.signin()
    page = client.get("/signin/passcode").get_data(as_text=True)
    assert "Too many passcodes were sent to this number today." in page
    clock.advance(31)
    response = client.post("/signin/resend")
    assert_capped(response, "Too many passcodes were sent to this number today.")
    assert 17 * 3600 < int(response.headers["Retry-After"]) <= 18 * 3600 + 5
    assert fake_vonage.count() == 4


def test_new_numbers_per_account_per_day(vonage_app, fake_vonage, clock):
    client, auth = new_browser(vonage_app, fake_vonage)
    auth.signup()
    for i in range(3):
        assert client.post("/two-step/phone", data={"phone": number(i)}).status_code == 303
    clock.advance(2 * 3600)
    response = client.post("/two-step/phone", data={"phone": number(3)})
    assert_capped(response, "You have tried too many different numbers today.")
    # Room comes back when the first number tried leaves the 24-hour window.
    assert 22 * 3600 - 5 < int(response.headers["Retry-After"]) <= 22 * 3600 + 5
    assert fake_vonage.count() == 3
    # A number already tried is not new: it may still get its code.
    clock.advance(31)
    assert client.post("/two-step/phone", data={"phone": number(0)}).status_code == 303
    assert fake_vonage.count() == 4


@pytest.mark.settings(SIGNUPS_PER_IP_DAY=0)
def test_per_ip_for_numbers_not_yet_confirmed_but_not_for_sign_in(vonage_app, fake_vonage):
    # Ann set up two-step verification from this IP earlier.
    ann, ann_auth = enrolled(vonage_app, fake_vonage, "ann@example.com", "090-9999-0000")
    for i in range(19):
        _client, auth = new_browser(vonage_app, fake_vonage)
        auth.signup(email=f"user{i}@example.com")
        assert auth.client.post("/two-step/phone", data={"phone": number(i)}).status_code == 303
    assert fake_vonage.count() == 20

    client, auth = new_browser(vonage_app, fake_vonage)
    auth.signup(email="late@example.com")
    response = client.post("/two-step/phone", data={"phone": number(99)})
    assert_capped(response, "Too many passcodes were requested from your network today.")
    assert fake_vonage.count() == 20

    # Another network is not affected ...
    elsewhere, elsewhere_auth = new_browser(vonage_app, fake_vonage, ip="192.0.2.7")
    elsewhere_auth.signup(email="far@example.com")
    assert elsewhere.post("/two-step/phone", data={"phone": number(98)}).status_code == 303
    # ... and a sign-in code to a confirmed number is not capped per IP (one office NAT).
    assert ann_auth.signin().headers["Location"].endswith("/signin/passcode")
    assert fake_vonage.count() == 22
    ann_auth.client.post("/signin/passcode", data={"code": fake_vonage.last_code()})
    assert ann.get("/dashboard").status_code == 200


@pytest.mark.settings(SMS_DAILY_LIMIT=5, SMS_SIGNIN_RESERVE_PERCENT=0)
def test_global_daily_limit_warns_the_operator_when_near_and_when_hit(vonage_app, fake_vonage, caplog):
    caplog.set_level(logging.WARNING, logger="twostep.limits")
    for i in range(3):
        client, auth = new_browser(vonage_app, fake_vonage)
        auth.signup(email=f"user{i}@example.com")
        assert client.post("/two-step/phone", data={"phone": number(i)}).status_code == 303
    assert not [r for r in caplog.records if "budget" in r.getMessage()]

    client, auth = new_browser(vonage_app, fake_vonage)
    auth.signup(email="user3@example.com")
    assert client.post("/two-step/phone", data={"phone": number(3)}).status_code == 303  # 4 of 5: 80 %
    assert any("nearly used: 4 of 5" in r.getMessage() for r in caplog.records)
    client, auth = new_browser(vonage_app, fake_vonage)
    auth.signup(email="user4@example.com")
    assert client.post("/two-step/phone", data={"phone": number(4)}).status_code == 303  # 5 of 5
    assert any("budget reached: 5 of 5" in r.getMessage() for r in caplog.records)

    client, auth = new_browser(vonage_app, fake_vonage, ip="198.51.100.1")
    auth.signup(email="user5@example.com")
    response = client.post("/two-step/phone", data={"phone": number(5)}, htmx=True)
    assert_capped(response, "This site has sent as many SMS as it may today.")
    assert fake_vonage.count() == 5
    refusals = [r for r in caplog.records if "refused by a cap" in r.getMessage()]
    assert refusals and refusals[-1].levelname == "WARNING"


def test_an_attacker_trying_200_numbers_from_one_session(vonage_app, fake_vonage, clock):
    client, auth = new_browser(vonage_app, fake_vonage)
    auth.signup(email="mallory@example.com")
    token = client.csrf_token()  # one form, submitted 200 times, as a script would
    statuses = []
    for i in range(200):
        clock.advance(1)
        statuses.append(client.post("/two-step/phone", data={"phone": number(i), "csrf_token": token}).status_code)
    assert fake_vonage.count() == 3  # SMS_NEW_NUMBERS_PER_ACCOUNT_DAY
    assert statuses.count(303) == 3 and statuses.count(429) == 197
    assert 500 not in statuses


@pytest.mark.settings(SIGNUPS_PER_IP_DAY=0)
def test_an_attacker_with_many_accounts_from_one_ip(vonage_app, fake_vonage, clock):
    sent = 0
    for account in range(40):
        client, auth = new_browser(vonage_app, fake_vonage)
        auth.signup(email=f"bot{account}@example.com")
        token = client.csrf_token()
        for i in range(5):
            clock.advance(1)
            response = client.post("/two-step/phone", data={"phone": number(account * 5 + i), "csrf_token": token})
            assert response.status_code in (303, 429)
            sent += response.status_code == 303
    assert fake_vonage.count() == sent == 20  # SMS_PER_IP_DAY for numbers not yet confirmed


@pytest.mark.parametrize("phone, message", [
    ("+33 6 12 34 56 78", "We cannot send SMS to numbers in that country."),  # France: not allowed
    ("+44 7911 123456", "We cannot send SMS to numbers in that country."),  # Guernsey, not GB
    ("03-1234-5678", "Enter a mobile phone number"),  # fixed line
    ("0120-123-456", "Enter a mobile phone number"),  # toll-free
    ("0990-123-456", "Enter a mobile phone number"),  # premium rate
    ("0570-000-000", "Enter a mobile phone number"),  # shared cost / UAN
    ("050-1234-5678", "Enter a mobile phone number"),  # VoIP
    ("020-1234-5678", "Enter a mobile phone number"),  # pager
    ("+1 900 555 0100", "Enter a mobile phone number"),  # US premium rate
    ("+44 20 7946 0000", "Enter a mobile phone number"),  # UK fixed line
])
def test_countries_and_number_types_are_refused_before_any_sms(vonage_client, vonage_auth, fake_vonage, phone, message):
    vonage_auth.signup()
    response = vonage_client.post("/two-step/phone", data={"phone": phone})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fake_vonage.requests == []
    assert sms_records() == []


@pytest.mark.settings(SMS_PER_ACCOUNT_DAY=2)
def test_a_cap_at_sign_in_shows_why_on_the_passcode_screen(vonage_app, fake_vonage, clock):
    """The password was right, so the passcode screen opens, saying why no SMS came and offering
    "Try another method" (the recovery code); Resend answers 429 with Retry-After."""
    client, auth = enrolled(vonage_app, fake_vonage)  # 1
    auth.signin_with_passcode()  # 2
    auth.signout()
    response = auth.signin()
    assert response.headers["Location"].endswith("/signin/passcode")
    page = client.get("/signin/passcode").get_data(as_text=True)
    assert "You have asked for too many passcodes today." in page and "Try another method" in page
    clock.advance(31)
    assert_capped(client.post("/signin/resend"), "You have asked for too many passcodes today.")
    assert fake_vonage.count() == 2


def test_no_sms_without_a_correct_password_or_a_signed_in_enrolment(vonage_app, fake_vonage):
    client, auth = enrolled(vonage_app, fake_vonage)
    stranger, _ = new_browser(vonage_app, fake_vonage)
    for _ in range(5):
        assert stranger.post("/signin", data={"email": "ann@example.com", "password": "guess"}).status_code == 422
        assert stranger.post("/signin/resend").status_code == 303  # back to the password step
        assert stranger.post("/two-step/phone", data={"phone": number(1)}).status_code == 302  # sign in first
    assert fake_vonage.count() == 1  # Ann's own set-up SMS only
