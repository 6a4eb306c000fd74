"""The Vonage sender on its own: the real SDK against the fake SMS API, for success and every fault.

What an operator relies on: one send is at most one request (so at most one
paid SMS), every failure is one SmsError with a short status, and neither the
passcode nor the API secret reaches any log record, even at DEBUG.
"""
import logging

import pytest
import requests
from vonage import Auth, HttpClientOptions, Vonage
from vonage_sms import SmsMessage

from fake_vonage import API_KEY, API_SECRET, DROP, GARBAGE, SLOW, Http, Partial, Status, closed_port
from sms import SmsError, make_sender
from sms.vonage import VonageSender

TEXT = "beSTREAM: your passcode is 493021. It expires in 5 minutes. Do not share it with anyone.\n\n@x.example #493021"


def sender_for(fake, **overrides):
    config = {"SMS_BACKEND": "vonage", "VONAGE_API_KEY": API_KEY, "VONAGE_API_SECRET": API_SECRET,
              "VONAGE_FROM": "beSTREAM", "VONAGE_REST_HOST": fake.host, "SMS_TIMEOUT_SECONDS": 1, **overrides}
    return make_sender(config)


def test_a_send_is_one_form_post_with_basic_auth(fake_vonage):
    message_id = sender_for(fake_vonage).send("+819012345678", TEXT)

    [request] = fake_vonage.requests
    assert request.path == "/sms/json"
    assert (request.username, request.password) == (API_KEY, API_SECRET)
    assert request.form["to"] == "819012345678"
    assert request.form["from"] == "beSTREAM"
    assert request.form["text"] == TEXT
    assert request.form["type"] == "text"
    assert "api_secret" not in request.form  # the secret travels in the Authorization header only
    assert message_id and len(message_id) == 16


def test_text_outside_the_gsm_alphabet_goes_out_as_unicode(fake_vonage):
    sender_for(fake_vonage).send("+819012345678", "ビーストリーム: 493021")
    assert fake_vonage.requests[0].form["type"] == "unicode"


def test_a_number_as_sender_id_loses_its_plus(fake_vonage):
    sender_for(fake_vonage, VONAGE_FROM="+15551230000").send("+819012345678", TEXT)
    assert fake_vonage.requests[0].form["from"] == "15551230000"


@pytest.mark.parametrize("behaviour, status", [
    (Status(1), "1"),
    (Status(29), "29"),
    (Status(5), "5"),
    (Partial(1), "partial-1"),
    (Http(500), "http-500"),
    (Http(503), "http-503"),
    (Http(401), "http-401"),
    (Http(429), "http-429"),
    (GARBAGE, "error"),
])
def test_each_provider_fault_is_one_sms_error_after_one_request(fake_vonage, behaviour, status):
    fake_vonage.script(behaviour)
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage).send("+819012345678", TEXT)
    assert caught.value.status == status
    assert len(fake_vonage.requests) == 1
    assert "493021" not in str(caught.value) and API_SECRET not in str(caught.value)


def test_wrong_credentials_are_status_4(fake_vonage):
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage, VONAGE_API_SECRET="not-the-secret").send("+819012345678", TEXT)
    assert caught.value.status == "4"
    assert "Bad Credentials" in caught.value.reason


@pytest.fixture
def http_calls(monkeypatch):
    """What the SDK asks of `requests`: each HTTP attempt with its timeout and its adapter's retries
    (what matters about time here, rather than the wall clock's elapsed seconds)."""
    calls = []
    send = requests.adapters.HTTPAdapter.send

    def spy(adapter, request, **kwargs):
        calls.append({"timeout": kwargs.get("timeout"), "retries": adapter.max_retries.total})
        return send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    return calls


def test_a_slow_answer_times_out_after_the_setting(fake_vonage, http_calls):
    fake_vonage.script(SLOW)
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage, SMS_TIMEOUT_SECONDS=1).send("+819012345678", TEXT)
    assert caught.value.status == "timeout"
    assert http_calls == [{"timeout": 1, "retries": 0}]  # the setting, once, never retried
    assert len(fake_vonage.requests) == 1


def test_a_dropped_connection_is_not_sent_again(fake_vonage):
    fake_vonage.script(DROP, DROP, DROP)
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage).send("+819012345678", TEXT)
    assert caught.value.status == "connection"
    assert len(fake_vonage.requests) == 1  # one SMS paid for at most, not ten


def test_the_sdk_defaults_would_resend_on_a_dropped_connection(fake_vonage):
    """Why pool_maxsize=1 matters: with the SDK's defaults the fake sees ten POSTs for one send."""
    fake_vonage.script(*[DROP] * 10)
    client = Vonage(Auth(api_key=API_KEY, api_secret=API_SECRET),
                    HttpClientOptions(rest_host=fake_vonage.host, timeout=1))
    with pytest.raises(requests.exceptions.ConnectionError):
        client.sms.send(SmsMessage(to="819012345678", from_="beSTREAM", text=TEXT))
    assert len(fake_vonage.requests) == 10


def test_a_refused_connection_is_a_connection_error(fake_vonage, http_calls):
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage, VONAGE_REST_HOST=f"127.0.0.1:{closed_port()}", SMS_TIMEOUT_SECONDS=3).send(
            "+819012345678", TEXT)
    assert caught.value.status == "connection"
    assert http_calls == [{"timeout": 3, "retries": 0}]  # one attempt: no retries with back-off


def test_an_untrusted_certificate_is_refused(fake_vonage, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage).send("+819012345678", TEXT)
    assert caught.value.status == "tls"
    assert fake_vonage.requests == []


def test_the_sender_recovers_after_a_fault(fake_vonage):
    sender = sender_for(fake_vonage)
    fake_vonage.script(DROP)
    with pytest.raises(SmsError):
        sender.send("+819012345678", TEXT)
    assert sender.send("+819012345678", TEXT)
    assert len(fake_vonage.requests) == 2


@pytest.mark.parametrize("behaviour", [None, Status(4), Http(503), DROP, SLOW])
def test_no_passcode_or_secret_in_any_log_record_even_at_debug(fake_vonage, caplog, behaviour):
    logging.getLogger("vonage").setLevel(logging.NOTSET)  # as if nothing had set it: the sender must
    caplog.set_level(logging.DEBUG)
    sender = sender_for(fake_vonage)
    if behaviour:
        fake_vonage.script(behaviour)
    try:
        sender.send("+819012345678", TEXT)
    except SmsError:
        pass
    assert caplog.records, "the send should log something for the operator"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert "493021" not in text, record.name
        assert API_SECRET not in text, record.name
        assert "819012345678" not in text, record.name  # numbers are masked
    assert logging.getLogger("vonage").getEffectiveLevel() > logging.DEBUG


@pytest.mark.parametrize("missing", ["VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM"])
def test_missing_settings_stop_the_app_naming_them(fake_vonage, missing):
    with pytest.raises(SystemExit) as stopped:
        sender_for(fake_vonage, **{missing: None})
    assert missing in str(stopped.value)


def test_all_missing_settings_are_named_at_once(tmp_path):
    from conftest import make_test_app

    with pytest.raises(SystemExit) as stopped:
        make_test_app(tmp_path, SMS_BACKEND="vonage")
    for name in ("VONAGE_API_KEY", "VONAGE_API_SECRET", "VONAGE_FROM"):
        assert name in str(stopped.value)


@pytest.mark.parametrize("timeout", [0, 11, 60, -1])
def test_the_timeout_is_bounded(fake_vonage, timeout):
    with pytest.raises(SystemExit) as stopped:
        sender_for(fake_vonage, SMS_TIMEOUT_SECONDS=timeout)
    assert "SMS_TIMEOUT_SECONDS" in str(stopped.value)


def test_the_secret_is_not_in_the_senders_repr(fake_vonage):
    sender = sender_for(fake_vonage)
    assert isinstance(sender, VonageSender)
    assert API_SECRET not in repr(sender) and API_SECRET not in str(vars(sender).get("sender_id"))


@pytest.mark.parametrize("name, value", [
    ("VONAGE_FROM", "beSTREAM-Official"),  # longer than 11 characters
    ("VONAGE_FROM", "be*STREAM"),
    ("VONAGE_FROM", "+1234567890123456"),  # 16 digits
    ("VONAGE_REST_HOST", "https://rest.nexmo.com"),
    ("VONAGE_REST_HOST", "rest.nexmo.com/sms"),
])
def test_settings_that_cannot_work_stop_the_app(fake_vonage, name, value):
    with pytest.raises(SystemExit) as stopped:
        sender_for(fake_vonage, **{name: value})
    assert name in str(stopped.value)


@pytest.mark.parametrize("value", ["beSTREAM", "be STREAM", "ACME2FA", "+14155550100", "14155550100"])
def test_sender_ids_vonage_accepts(fake_vonage, value):
    assert sender_for(fake_vonage, VONAGE_FROM=value).send("+819012345678", TEXT)


def test_the_providers_error_text_cannot_forge_log_lines(fake_vonage, monkeypatch, caplog):
    import fake_vonage as fake_module

    monkeypatch.setitem(fake_module.ERROR_TEXTS, "1", "Throttled\n2026-01-01 INFO forged: all good")
    fake_vonage.script(Status(1))
    with pytest.raises(SmsError) as caught:
        sender_for(fake_vonage).send("+819012345678", TEXT)
    assert "\n" not in caught.value.reason
    assert all("\n" not in record.getMessage() for record in caplog.records)
