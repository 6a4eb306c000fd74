"""Per-IP request limits (Flask-Limiter) on sign-in and code submissions.

Run with memory:// and, when TEST_REDIS_URL is set (.ci/run sets it), with
Redis: the storage every worker and host shares. Each test uses client IPs
of its own, so counts left in Redis by other runs cannot interfere.
"""
import os
import random

import pytest

from conftest import BrowserLikeClient, make_test_app

LIMIT = "3 per minute"


@pytest.fixture(params=["memory", "database", "redis"])
def storage_uri(request):
    if request.param in ("memory", "database"):
        return request.param + "://"
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15): Redis storage not tested here")
    return url


def random_ip():
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def browser(app, ip):
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def limited_app(tmp_path, storage_uri):
    return make_test_app(tmp_path, RATELIMIT_SIGNIN=LIMIT, RATELIMIT_STORAGE_URI=storage_uri)


def wrong_password(client):
    return client.post("/signin", data={"email": "nobody@example.com", "password": "wrong"})


def assert_limited(response):
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts. Please wait a little and try again." in response.get_data(as_text=True)


def test_password_posts_are_limited_per_ip(tmp_path, storage_uri):
    app = limited_app(tmp_path, storage_uri)
    ip = random_ip()
    client = browser(app, ip)
    for _ in range(3):
        assert wrong_password(client).status_code == 422
    assert_limited(wrong_password(client))
    assert_limited(client.post("/signin", data={"email": "x@example.com", "password": "y"}, htmx=True))
    assert client.get("/signin").status_code == 200  # reading the form is not limited
    assert wrong_password(browser(app, random_ip())).status_code == 422  # another address is not affected


def test_database_limits_hold_on_an_sqlite_without_returning(tmp_path, monkeypatch):
    # SQLite before 3.35 (Debian 11's 3.34) has no RETURNING: the count is read back in the same transaction.
    from twostep import limit_storage

    monkeypatch.setattr(limit_storage, "SQLITE_RETURNING", False)
    test_password_posts_are_limited_per_ip(tmp_path, "database://")


@pytest.mark.parametrize("path", ["/signin/passcode", "/signin/resend", "/signin/recovery"])
def test_code_posts_are_limited_per_ip(tmp_path, storage_uri, path):
    app = limited_app(tmp_path, storage_uri)
    client = browser(app, random_ip())
    for _ in range(3):
        assert client.post(path, data={"code": "123456"}).status_code != 429
    assert_limited(client.post(path, data={"code": "123456"}))


def test_redis_counts_are_shared_by_every_worker(tmp_path):
    """Two app instances (as two workers would be) count against the same limit."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15): Redis storage not tested here")
    ip = random_ip()
    first_worker = limited_app(tmp_path, url)
    for _ in range(2):
        assert wrong_password(browser(first_worker, ip)).status_code == 422
    second_worker = limited_app(tmp_path, url)  # a fresh process would start from here
    assert wrong_password(browser(second_worker, ip)).status_code == 422
    assert_limited(wrong_password(browser(second_worker, ip)))


def test_memory_storage_is_per_process(tmp_path):
    """Why production with several workers needs redis://: a new process starts counting from zero."""
    ip = random_ip()
    first = limited_app(tmp_path, "memory://")
    for _ in range(3):
        wrong_password(browser(first, ip))
    assert_limited(wrong_password(browser(first, ip)))
    second = limited_app(tmp_path, "memory://")
    assert wrong_password(browser(second, ip)).status_code == 422
