"""Fixtures for the Vonage tests (a pytest plugin loaded by conftest.py).

- `fake_vonage`: the fake SMS API of tests/fake_vonage.py, started once per
  session (the TLS certificates and the server thread), reset before each
  test, and trusted through REQUESTS_CA_BUNDLE set for this test only.
- `vonage_app`: an app with SMS_BACKEND=vonage pointed at the fake, on the
  same databases as `app`; `@pytest.mark.settings(...)` adds settings.
- `vonage_client`, `vonage_auth`: `client` and `auth` for that app; the
  passcodes are read from the requests the fake received.
"""
import pytest

from conftest import Auth, BrowserLikeClient, database_urls, make_test_app
from fake_vonage import API_KEY, API_SECRET, FakeVonage


@pytest.fixture(scope="session")
def fake_vonage_server(tmp_path_factory):
    server = FakeVonage(str(tmp_path_factory.mktemp("fake-vonage-tls"))).start()
    yield server
    server.stop()


@pytest.fixture
def fake_vonage(fake_vonage_server, monkeypatch):
    """The fake, with no requests recorded and nothing scripted; its CA is trusted for this test."""
    fake_vonage_server.reset()
    # requests lets REQUESTS_CA_BUNDLE override a Session's `verify`, and this
    # machine sets it globally: the fake's CA must come in through it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake_vonage_server.ca_path)
    yield fake_vonage_server
    fake_vonage_server.reset()


def vonage_settings(fake, **overrides):
    return {
        "SMS_BACKEND": "vonage",
        "VONAGE_API_KEY": API_KEY,
        "VONAGE_API_SECRET": API_SECRET,
        "VONAGE_FROM": "beSTREAM",
        "VONAGE_REST_HOST": fake.host,
        "SMS_TIMEOUT_SECONDS": 1,  # the slow-answer test waits this long, no more
        "PUBLIC_HOST": "stream.example",
        **overrides,
    }


@pytest.fixture(params=database_urls())
def vonage_app(request, tmp_path, fake_vonage):
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker else {}
    application = make_test_app(tmp_path, request.param, **vonage_settings(fake_vonage, **overrides))
    yield application
    from models import db

    if not db.is_closed():
        db.close()


@pytest.fixture
def vonage_client(vonage_app):
    vonage_app.test_client_class = BrowserLikeClient
    return vonage_app.test_client()


@pytest.fixture
def vonage_auth(vonage_client, fake_vonage):
    return Auth(vonage_client, fake_vonage)
