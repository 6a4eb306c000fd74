"""The web app with SMS_BACKEND=vonage: the real SDK, the fake SMS API, the whole journeys and every fault.

Passcodes are read from the requests the fake received, as a phone would
receive them. A provider fault must give the user a clear message and a
4xx/5xx page (never a 500), record the attempt with the provider's status,
keep no code in clear, and let the user simply try again.
"""
import logging
import re

import pytest

from conftest import PHONE, PHONE_E164, Auth, BrowserLikeClient, make_test_app
from conftest_vonage import vonage_settings
from fake_vonage import API_KEY, API_SECRET, DROP, SLOW, Http, Partial, Status, closed_port

COULD_NOT_SEND = "We could not send the SMS"


def sms_records():
    from models import SmsRecord, db

    with db.connection_context():
        return [(r.purpose, r.status, r.provider_status, r.to_confirmed_number)
                for r in SmsRecord.select().order_by(SmsRecord.id)]


def database_text():
    """Every value of every row, as text: to prove a code is not stored anywhere in clear."""
    from models import ALL_MODELS, db

    with db.connection_context():
        return " ".join(str(value) for model in ALL_MODELS for row in model.select().dicts() for value in row.values())


def live_code_hashes():
    from models import Challenge, db

    with db.connection_context():
        return [c.code_hash for c in Challenge.select().where(Challenge.code_hash.is_null(False))]


def test_set_up_and_sign_in_through_vonage(vonage_client, vonage_auth, fake_vonage):
    vonage_auth.signup()
    recovery = vonage_auth.enrol()
    assert len(recovery) == 19

    [setup_sms] = fake_vonage.requests
    assert (setup_sms.username, setup_sms.password) == (API_KEY, API_SECRET)
    assert setup_sms.form["to"] == PHONE_E164.lstrip("+")
    assert setup_sms.form["from"] == "beSTREAM"
    text = setup_sms.form["text"]
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert text.startswith("beSTREAM")
    assert "expires in 5 minutes" in text
    assert text.splitlines()[-1] == f"@stream.example #{code}"
    assert code not in database_text()

    vonage_auth.signout()
    vonage_auth.signin_with_passcode()
    assert vonage_client.get("/dashboard").status_code == 200
    assert len(fake_vonage.requests) == 2
    assert fake_vonage.messages()[1] != text  # a new code for the sign-in
    assert sms_records() == [("enrol", "sent", "0", False), ("signin", "sent", "0", True)]


def test_the_journey_with_htmx(vonage_client, vonage_auth, fake_vonage):
    vonage_auth.signup()
    response = vonage_client.post("/two-step/phone", data={"phone": PHONE}, htmx=True)
    assert response.status_code == 200 and "HX-Location" in response.headers
    response = vonage_client.post("/two-step/passcode", data={"code": fake_vonage.last_code()}, htmx=True)
    assert "/two-step/recovery" in response.headers["HX-Location"]


FAULTS = [
    pytest.param(Status(1), "1", id="throttled"),
    pytest.param(Status(29), "29", id="non-whitelisted"),
    pytest.param(Partial(1), "partial-1", id="partial-failure"),
    pytest.param(Http(500), "http-500", id="http-500"),
    pytest.param(Http(503), "http-503", id="http-503"),
    pytest.param(Http(401), "http-401", id="http-401"),
    pytest.param(SLOW, "timeout", id="timeout"),
    pytest.param(DROP, "connection", id="dropped"),
]


@pytest.mark.parametrize("fault, status", FAULTS)
def test_a_fault_at_set_up_is_a_clear_message_and_the_user_can_retry(vonage_client, vonage_auth, fake_vonage,
                                                                     fault, status, caplog):
    vonage_auth.signup()
    fake_vonage.script(fault)
    response = vonage_client.post("/two-step/phone", data={"phone": PHONE})
    page = response.get_data(as_text=True)
    assert response.status_code == 502
    assert COULD_NOT_SEND in page and "try again" in page
    assert len(fake_vonage.requests) == 1
    assert sms_records() == [("enrol", "failed", status, False)]
    assert live_code_hashes() == []  # the code that may not have arrived is void
    failed_code = re.search(r"#(\d{6})", fake_vonage.messages()[0]).group(1)
    assert failed_code not in database_text()
    assert any(f"status={status}" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")

    # Trying again just works: Continue with the same number sends a new code.
    assert vonage_client.post("/two-step/phone", data={"phone": PHONE}).status_code == 303
    assert len(fake_vonage.requests) == 2
    response = vonage_client.post("/two-step/passcode", data={"code": fake_vonage.last_code()})
    assert response.headers["Location"].endswith("/two-step/recovery")


@pytest.mark.settings(VONAGE_API_SECRET="a-revoked-secret")
def test_wrong_credentials_at_set_up(vonage_client, vonage_auth, fake_vonage):
    vonage_auth.signup()
    response = vonage_client.post("/two-step/phone", data={"phone": PHONE}, htmx=True)
    assert response.status_code == 502 and COULD_NOT_SEND in response.get_data(as_text=True)
    assert sms_records() == [("enrol", "failed", "4", False)]


def test_a_refused_connection_at_set_up(tmp_path, fake_vonage):
    # The port is taken at test time, so nothing else can have bound it since.
    app = make_test_app(tmp_path, **vonage_settings(fake_vonage, VONAGE_REST_HOST=f"127.0.0.1:{closed_port()}"))
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    Auth(client, fake_vonage).signup()
    response = client.post("/two-step/phone", data={"phone": PHONE})
    assert response.status_code == 502 and COULD_NOT_SEND in response.get_data(as_text=True)
    assert sms_records() == [("enrol", "failed", "connection", False)]
    assert fake_vonage.requests == []


@pytest.mark.parametrize("fault, status", FAULTS[:1] + FAULTS[4:])
def test_a_fault_at_sign_in_opens_the_passcode_screen_with_the_message(vonage_client, vonage_auth, fake_vonage,
                                                                       fault, status, clock):
    vonage_auth.signup()
    vonage_auth.enrol()
    vonage_auth.signout()
    fake_vonage.script(fault)

    response = vonage_auth.signin()
    assert response.headers["Location"].endswith("/signin/passcode")
    page = vonage_client.get("/signin/passcode").get_data(as_text=True)
    assert COULD_NOT_SEND in page and "Resend" in page and "Try another method" in page
    assert sms_records()[-1] == ("signin", "failed", status, True)
    failed_code = fake_vonage.last_code()
    assert vonage_client.post("/signin/passcode", data={"code": failed_code}).status_code == 422

    # Resend is allowed at once (nothing live to wait for) and completes the sign-in.
    assert vonage_client.post("/signin/resend").status_code == 303
    response = vonage_client.post("/signin/passcode", data={"code": fake_vonage.last_code()})
    assert response.headers["Location"].endswith("/dashboard")


def test_a_fault_on_resend_keeps_the_page_and_a_later_resend_works(vonage_client, vonage_auth, fake_vonage, clock):
    vonage_auth.signup()
    vonage_client.post("/two-step/phone", data={"phone": PHONE})
    clock.advance(31)
    fake_vonage.script(Http(503))
    response = vonage_client.post("/two-step/resend", htmx=True)
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert COULD_NOT_SEND in page and "Resend" in page
    assert vonage_client.post("/two-step/resend").status_code == 303
    response = vonage_client.post("/two-step/passcode", data={"code": fake_vonage.last_code()})
    assert response.headers["Location"].endswith("/two-step/recovery")
    assert [r[1:3] for r in sms_records()] == [("sent", "0"), ("failed", "http-503"), ("sent", "0")]


def test_a_fault_when_changing_the_number_changes_nothing(vonage_client, vonage_auth, fake_vonage):
    from models import User, db

    vonage_auth.signup()
    vonage_auth.enrol()
    vonage_auth.step_up()
    fake_vonage.script(Status(29))
    response = vonage_client.post("/two-step/number", data={"phone": "+81 80-1111-2222"})
    assert response.status_code == 502 and COULD_NOT_SEND in response.get_data(as_text=True)
    with db.connection_context():
        assert User.get().phone == PHONE_E164
    assert sms_records()[-1] == ("change", "failed", "29", False)


def test_a_sender_bug_is_a_could_not_send_too(client, auth, app, monkeypatch, caplog):
    """Even an exception that is not SmsError leaves no live code, no "reserved" row and no 500."""
    def broken(to, text):
        raise RuntimeError(f"bug while sending {text}")

    monkeypatch.setattr(app.extensions["sms_sender"], "send", broken)
    auth.signup()
    response = client.post("/two-step/phone", data={"phone": PHONE})
    assert response.status_code == 502 and COULD_NOT_SEND in response.get_data(as_text=True)
    assert sms_records() == [("enrol", "failed", "error", False)]
    assert live_code_hashes() == []
    assert not [r for r in caplog.records if "bug while sending" in r.getMessage()]


def test_no_code_secret_or_full_number_in_any_log_record_of_the_journeys(vonage_client, vonage_auth, fake_vonage,
                                                                        caplog, clock):
    caplog.set_level(logging.DEBUG)  # as verbose as an operator could make the root logger
    vonage_auth.signup()
    fake_vonage.script(Status(29))
    vonage_client.post("/two-step/phone", data={"phone": PHONE})
    recovery = vonage_auth.enrol()
    vonage_auth.signout()
    vonage_auth.signin_with_passcode()

    codes = [re.search(r"#(\d{6})", text).group(1) for text in fake_vonage.messages()]
    assert len(codes) == 3
    logged = "\n".join(record.getMessage() + repr(record.args) for record in caplog.records)
    assert "status=29" in logged  # the operator does learn what happened
    for secret in [*codes, API_SECRET, PHONE_E164, PHONE_E164.lstrip("+"), recovery]:
        assert secret not in logged
