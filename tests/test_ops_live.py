"""Metrics, probes and JSON logs through the production server: gunicorn.conf.py with 2 workers.

A sign-in and its SMS are driven through the site's listener; Prometheus'
view is read from the separate METRICS_BIND listener, where the counters of
both workers are added up (prometheus-client's multiprocess mode, set up by
gunicorn.conf.py). The site's listener does not serve the metrics.
"""
import concurrent.futures
import json
import os

import requests

from live import PHONE_E164, Browser, LiveServer, Records, enrolled_account, free_port, password_step, sign_out
from test_ops import sample


def _metrics(port):
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def test_two_workers_count_sign_ins_and_sms_together_on_the_metrics_listener(tmp_path):
    url = f"sqlite:///{tmp_path}/app.sqlite3"
    metrics_dir = tmp_path / "metrics"
    metrics_port = free_port()
    server = LiveServer(tmp_path, url, workers=2, threads=2, METRICS_BIND=f"127.0.0.1:{metrics_port}",
                        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), LOG_FORMAT="json", SMS_DAILY_LIMIT=100)
    records = Records(url)
    with server:
        enrolled_account(server.url, records, "ann@example.com", "090-1234-5678", PHONE_E164)  # SMS 1 (enrol)
        for _ in range(3):  # three sign-ins with a passcode: SMS 2-4 (signin)
            browser = Browser(server.url)
            password_step(browser, "ann@example.com")
            assert browser.post("/signin/passcode", {"code": records.last_code()}).status_code == 303
            browser.get("/dashboard")  # the signed-in page's CSRF token
            sign_out(browser)
        wrong = Browser(server.url)
        wrong.get("/signin")
        assert wrong.post("/signin", {"email": "ann@example.com", "password": "wrong"}).status_code == 422
        # Many probes at once, so both workers answer some of them.
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: requests.get(server.url + "/healthz", timeout=10).status_code,
                                     range(40)))
        assert statuses == [200] * 40
        text = _metrics(metrics_port)

        assert sample(text, "bestream_signins_total", outcome="signed_in_passcode") == 3
        assert sample(text, "bestream_signins_total", outcome="second_step_asked") == 3
        assert sample(text, "bestream_signins_total", outcome="wrong_password") == 1
        assert sample(text, "bestream_sms_total", result="sent", reason="ok", purpose="signin", country="JP") == 3
        assert sample(text, "bestream_sms_total", result="sent", reason="ok", purpose="enrol", country="JP") == 1
        assert sample(text, "bestream_sms_budget_left") == 96
        assert sample(text, "bestream_request_duration_seconds_count", route="/healthz", method="GET") == 40

        # Not on the site's listener, and nothing but /metrics on the metrics listener.
        assert requests.get(server.url + "/metrics", timeout=10).status_code == 404
        assert requests.get(f"http://127.0.0.1:{metrics_port}/signin", timeout=10).status_code == 404
        assert requests.get(server.url + "/readyz", timeout=10).text == "ready\n"
        request_id = requests.get(server.url + "/no-such-page", timeout=10).headers["X-Request-ID"]
        worker_files = {name for name in os.listdir(metrics_dir) if name.startswith("counter_")}
        assert len(worker_files) >= 2  # the master's and the workers': one file per process

    # JSON lines from the app and from gunicorn, the request id in both.
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert any('"GET /no-such-page HTTP/1.1" 404' in line["message"] and line["request_id"] == request_id
               for line in access)
    refused = [line for line in lines if "sign-in refused" in line["message"]]
    assert len(refused) == 1 and len(refused[0]["request_id"]) == 16
    assert "+819012345678" not in server.log()

    # A restart starts the counters from zero: the files of the last run are not counted again.
    with LiveServer(tmp_path, url, workers=2, threads=2, METRICS_BIND=f"127.0.0.1:{metrics_port}",
                    PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)):
        assert sample(_metrics(metrics_port), "bestream_signins_total", outcome="signed_in_passcode") == 0
