"""Behind a reverse proxy: whose X-Forwarded-For is believed, and the HTTPS-only defaults.

With TRUSTED_PROXIES=1 the client IP in the security record is the one the
proxy appended to X-Forwarded-For; with the default 0 a client that sends
its own X-Forwarded-For cannot choose the IP that is recorded.
"""
import pytest
from conftest import BrowserLikeClient, make_test_app


def _last_event_ip():
    from models import SecurityEvent, db

    with db.connection_context():
        return SecurityEvent.select().order_by(SecurityEvent.id.desc()).first().ip


def _signup(client, headers):
    response = client.post("/signup", data={"email": "ann@example.com", "password": "correct horse", "name": "Ann"},
                           headers=headers)
    assert response.status_code == 303


@pytest.mark.settings(TRUSTED_PROXIES=1)
def test_one_trusted_proxy_the_ip_it_appended_is_recorded(client):
    # The client claims 198.51.100.7; the proxy appends the address it really saw.
    # Over HTTPS, Flask-WTF also checks that the Referer is this site, as a browser sends it.
    _signup(client, {"X-Forwarded-For": "198.51.100.7, 203.0.113.20", "X-Forwarded-Proto": "https",
                     "Referer": "https://localhost/signup"})
    assert _last_event_ip() == "203.0.113.20"
    client.post("/signin", data={"email": "ann@example.com", "password": "correct horse"},
                headers={"X-Forwarded-For": "203.0.113.22", "X-Forwarded-Proto": "https",
                         "Referer": "https://localhost/signin"})
    client.post("/signout", headers={"X-Forwarded-For": "203.0.113.21"})
    assert _last_event_ip() == "203.0.113.21"


def test_no_trusted_proxy_a_spoofed_header_is_refused(client):
    _signup(client, {"X-Forwarded-For": "198.51.100.7"})
    assert _last_event_ip() == "127.0.0.1"


def test_a_negative_number_of_proxies_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="TRUSTED_PROXIES"):
        make_test_app(tmp_path, TRUSTED_PROXIES=-1)


def test_outside_debug_cookies_are_https_only_and_hsts_is_sent(tmp_path):
    app = make_test_app(tmp_path, TESTING=False, SMS_OUTBOX_IN_PRODUCTION=True)  # not debug, not testing
    app.test_client_class = BrowserLikeClient
    client = app.test_client()
    response = client.get("/signin", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_path_prefix_each_client_chooses_does_not_grow_the_link_cache_without_end(app, client):
    # gunicorn takes SCRIPT_NAME from a request header when the request comes from a trusted forwarder
    # (FORWARDED_ALLOW_IPS, 127.0.0.1), and Caddy passes a client's "SCRIPT_NAME:" header through. The
    # templates' cached links are keyed by that prefix: one entry set per prefix an attacker invents
    # would fill the worker's memory. Each page still gets its own prefix's links.
    cache = app.jinja_env.globals["url_for"].cache
    for i in range(2000):
        prefix = f"/p{i}"
        page = client.get(prefix + "/signin", environ_overrides={"SCRIPT_NAME": prefix}).get_data(as_text=True)
        if i % 500 == 0:
            assert f'"{prefix}/static/' in page and f'href="{prefix}/signup"' in page
    assert len(cache) <= 1000
    page = client.get("/signin").get_data(as_text=True)
    assert '"/p1999/' not in page and 'href="/signup"' in page
