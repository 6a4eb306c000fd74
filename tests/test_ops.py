"""What an operator's tools see: health probes, request ids, metrics, JSON logs.

Each test reads what a probe, Prometheus or a log shipper would read: status,
body, headers and the metrics text. (The same counters read back through a
running gunicorn with two workers: tests/test_ops_live.py.)
"""
import json
import logging
import re

import pytest

from core import logs

TOKEN = "metrics-token-0123456789abcdef"


def sample(text, name, **labels):
    """The value of one series in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(match.group(3))
    return 0.0


def scrape(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.get_data(as_text=True)


# Health probes


def test_healthz_answers_without_session_cookie_or_database(app, client, monkeypatch):
    from models import db

    def no_database(*args, **kwargs):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(db.obj, "connect", no_database)
    for _ in range(50):  # a probe every second: never limited, never a cookie
        response = client.get("/healthz")
        assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    # The same broken database makes /readyz say so, without a 500 or a stack trace.
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable\n"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_every_migration_is_applied_and_not_before(app, client):
    from models import db

    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ready\n")
    assert "Set-Cookie" not in response.headers
    # New code deployed, its migration not yet applied: not ready.
    with db.connection_context():
        db.execute_sql("DELETE FROM schema_migration WHERE name = '0004_purge_indexes'")
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (503, "migrations pending\n")


@pytest.mark.settings(RATELIMIT_SIGNIN="2 per minute")
def test_probes_are_not_rate_limited_when_sign_in_is(client, auth):
    for _ in range(3):
        auth.signin("nobody@example.com", "wrong password")
    assert auth.signin("nobody@example.com", "wrong password").status_code == 429
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


# Request ids


def test_every_answer_has_its_own_request_id_and_error_pages_show_it(client):
    first = client.get("/signin")
    second = client.get("/signin")
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert f"give this reference: {missing.headers['X-Request-ID']}" in missing.get_data(as_text=True)
    ja = client.get("/no-such-page", headers={"Accept-Language": "ja"})
    assert f"参照番号をお伝えください: {ja.headers['X-Request-ID']}" in ja.get_data(as_text=True)


def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/signin", headers={"X-Request-ID": "chosen-by-the-client-1234"})
    assert response.headers["X-Request-ID"] != "chosen-by-the-client-1234"


@pytest.mark.settings(TRUSTED_PROXIES=1)
def test_a_trusted_proxys_request_id_is_kept_when_it_looks_like_one(client):
    nginx_id = "0123456789abcdef0123456789abcdef"
    assert client.get("/signin", headers={"X-Request-ID": nginx_id}).headers["X-Request-ID"] == nginx_id
    odd = client.get("/signin", headers={"X-Request-ID": "<script>alert(1)</script>"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", odd)


def test_json_log_lines_carry_the_request_id_and_no_secret(client, auth, outbox, capsys, caplog):
    caplog.set_level(logging.INFO)
    handler = logging.StreamHandler()
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        auth.signup()
        auth.signout()
        response = auth.signin("ann@example.com", "a wrong password")
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    refused = [line for line in lines if "sign-in refused" in line["message"]]
    assert len(refused) == 1
    assert refused[0]["request_id"] == response.headers["X-Request-ID"]
    assert refused[0]["level"] == "INFO" and refused[0]["logger"] == "views.signin" and refused[0]["time"]
    assert all("a wrong password" not in json.dumps(line) and "ann@example.com" not in json.dumps(line)
               for line in lines)


def test_an_unknown_log_format_is_refused(tmp_path):
    from conftest import make_test_app

    with pytest.raises(SystemExit, match="LOG_FORMAT"):
        make_test_app(tmp_path, LOG_FORMAT="xml")


# Metrics


def test_metrics_are_off_unless_asked_for(client):
    response = client.get("/metrics")
    assert response.status_code == 404 and "bestream" not in response.get_data(as_text=True)


@pytest.mark.settings(METRICS_TOKEN=TOKEN)
def test_metrics_need_the_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


@pytest.mark.settings(METRICS_TOKEN=TOKEN, SMS_DAILY_LIMIT=50, SMS_PER_ACCOUNT_HOUR=2)
def test_metrics_count_sign_ins_sms_failures_and_the_budget(client, auth, outbox, clock):
    before = scrape(client)
    auth.signup()
    auth.enrol()  # one SMS: set-up (purpose enrol)
    auth.signout()
    auth.signin("ann@example.com", "wrong")  # wrong password
    assert auth.signin().headers["Location"].endswith("/signin/passcode")  # a second SMS (purpose signin)
    assert client.post("/signin/passcode", data={"code": "000000"}).status_code == 422  # a wrong passcode
    assert client.post("/signin/passcode", data={"code": outbox.last_code()}).status_code == 303
    auth.signout()
    assert auth.signin().headers["Location"].endswith("/signin/passcode")  # third SMS: over the hourly cap
    after = scrape(client)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("bestream_signins_total", outcome="wrong_password") == 1
    assert grew("bestream_signins_total", outcome="second_step_asked") == 2
    assert grew("bestream_signins_total", outcome="signed_in_passcode") == 1
    assert grew("bestream_sms_total", result="sent", reason="ok", purpose="enrol", country="JP") == 1
    assert grew("bestream_sms_total", result="sent", reason="ok", purpose="signin", country="JP") == 1
    assert grew("bestream_sms_total", result="refused", reason="account_hour", purpose="signin", country="JP") == 1
    assert grew("bestream_second_step_failures_total") == 1
    assert sample(after, "bestream_sms_budget_left") == 48  # 50 minus the two sent; refused ones are free
    assert sample(after, "bestream_sms_daily_limit") == 50
    assert grew("bestream_request_duration_seconds_count", route="/signin/passcode", method="POST") == 2
    # Labels never hold a number, an email or a path a client typed.
    assert "+8190" not in after and "ann@example.com" not in after


@pytest.mark.settings(METRICS_TOKEN=TOKEN, LOCKOUT_FAILURES=2)
def test_metrics_count_the_lock(client, auth, outbox):
    auth.signup()
    auth.enrol()
    auth.signout()
    before = scrape(client)
    auth.signin()
    for _ in range(2):
        client.post("/signin/passcode", data={"code": "000000"})
    after = scrape(client)
    assert sample(after, "bestream_second_step_locks_total") - sample(before, "bestream_second_step_locks_total") == 1
    assert (sample(after, "bestream_second_step_failures_total")
            - sample(before, "bestream_second_step_failures_total")) == 2


def test_a_bad_metrics_bind_is_refused(tmp_path):
    from conftest import make_test_app

    with pytest.raises(SystemExit, match="METRICS_BIND"):
        make_test_app(tmp_path, METRICS_BIND="9100")


def test_metrics_show_the_mail_queue_depth_and_failures(tmp_path, clock):
    from conftest import Auth, BrowserLikeClient, Outbox, make_test_app
    from smtp_server import SmtpServer, free_port

    port = free_port()  # nothing listens there yet: the mail server is down
    app = make_test_app(tmp_path, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                        MAIL_FROM="beSTREAM <no-reply@example.com>", MAIL_QUEUE_THREAD=False, MAIL_MAX_ATTEMPTS=2,
                        METRICS_TOKEN=TOKEN)
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    sender = app.extensions["mail_sender"]
    auth = Auth(client, Outbox(app))
    before = scrape(client)

    def grew(after, result):
        return (sample(after, "bestream_mail_sends_total", result=result)
                - sample(before, "bestream_mail_sends_total", result=result))

    auth.operator_account()  # no confirmation mail: the queue holds only the one below
    auth.enrol()  # "two-step verification is on" is queued
    clock.advance(30)
    text = scrape(client)
    assert sample(text, "bestream_mail_queue", status="pending") == 1
    assert sample(text, "bestream_mail_oldest_unsent_seconds") >= 30
    assert sender.send_due() == {"sent": 0, "retry": 1, "failed": 0}
    assert grew(scrape(client), "retry") == 1
    clock.advance(61)
    assert sender.send_due() == {"sent": 0, "retry": 0, "failed": 1}  # given up after 2 tries
    text = scrape(client)
    assert grew(text, "failed") == 1
    assert sample(text, "bestream_mail_queue", status="failed") == 1
    assert sample(text, "bestream_mail_queue", status="pending") == 0
    assert sample(text, "bestream_mail_oldest_unsent_seconds") == 0

    with SmtpServer(port=port) as server:
        assert app.test_cli_runner().invoke(args=["mail", "retry"]).exit_code == 0
        assert sender.send_due() == {"sent": 1, "retry": 0, "failed": 0}
        assert len(server.messages) == 1
    text = scrape(client)
    assert grew(text, "sent") == 1
    assert sample(text, "bestream_mail_queue", status="failed") == 0
    assert "ann@example.com" not in text


@pytest.mark.settings(METRICS_TOKEN=TOKEN)
def test_metrics_count_a_sign_in_with_the_authenticator_app(client, auth, outbox, clock):
    from test_authenticator import T0, add_app, code_at

    clock.freeze(T0)
    auth.signup()
    auth.enrol()
    secret = add_app(client, auth, clock)
    auth.signout()
    before = scrape(client)
    assert auth.signin().headers["Location"] == "/signin/authenticator"
    assert client.post("/signin/authenticator", data={"code": "000000"}).status_code == 422
    clock.advance(30)
    assert client.post("/signin/authenticator", data={"code": code_at(secret, clock.now())}).status_code == 303
    after = scrape(client)
    assert (sample(after, "bestream_signins_total", outcome="signed_in_authenticator")
            - sample(before, "bestream_signins_total", outcome="signed_in_authenticator")) == 1
    assert (sample(after, "bestream_second_step_failures_total")
            - sample(before, "bestream_second_step_failures_total")) == 1


@pytest.mark.settings(METRICS_TOKEN=TOKEN)
def test_metrics_count_the_old_password_after_an_administrator_reset(app, client, auth, outbox):
    auth.signup()
    auth.enrol()
    auth.signout()
    assert app.test_cli_runner().invoke(args=["two-step", "reset", "ann@example.com", "--yes"]).exit_code == 0
    before = scrape(client)
    assert auth.signin().status_code == 422
    after = scrape(client)
    assert (sample(after, "bestream_signins_total", outcome="new_password_needed")
            - sample(before, "bestream_signins_total", outcome="new_password_needed")) == 1
