"""Fixtures for the real-browser suite.

One Chromium for the whole session (pytest-playwright's `browser`), one
browser context per test; the app is served on 127.0.0.1 by a werkzeug
server in a thread, on a random port, with its own SQLite file. Chromium can
reach nothing but this machine: every host name but localhost resolves to
nothing and any other traffic goes to a proxy that does not exist.

Where there is no Chromium (CHROMIUM_PATH, default /usr/bin/chromium) the
tests are skipped with the reason; REQUIRE_BROWSER=1 (set by .ci/run) makes
that a failure instead.
"""
import itertools
import os
import re
import threading

import pytest

from .support import CSP_LISTENER, DESKTOP, Accounts, Tab, phone_args

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
BROWSER_DIR = os.path.dirname(__file__)
NO_BROWSER = None
if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
    NO_BROWSER = (f"no Chromium at {CHROMIUM_PATH}: run `make browser-deps` as root "
                  "(apt-get install chromium) or set CHROMIUM_PATH")

LAUNCH_ARGS = [
    # Only this machine: no DNS for any other name, and a dead proxy for everything not local.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--disable-gpu",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    LAUNCH_ARGS.append("--no-sandbox")  # Chromium's sandbox refuses to run as root

# SMS caps sized for many journeys from one IP in one session; the caps themselves are tested elsewhere.
LIVE_SETTINGS = {
    "SMS_PER_IP_DAY": 100000, "SMS_DAILY_LIMIT": 100000, "SMS_PER_ACCOUNT_HOUR": 1000,
    "SMS_PER_ACCOUNT_DAY": 1000, "SMS_PER_NUMBER_HOUR": 1000, "SMS_PER_NUMBER_DAY": 1000,
    # Every journey signs up from 127.0.0.1, often with the same phone number.
    "SIGNUPS_PER_IP_DAY": 0, "SMS_PER_IP_DAY_ALL": 1000000, "SMS_SETUP_TO_TAKEN_NUMBER_DAY": 1000,
}


def pytest_collection_modifyitems(config, items):
    # With REQUIRE_BROWSER=1 nothing is skipped: launching fails with the reason instead.
    if NO_BROWSER is None or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"browser tests skipped: {NO_BROWSER}")
    for item in items:
        if str(item.path).startswith(BROWSER_DIR + os.sep):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if NO_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1 but {NO_BROWSER}", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": LAUNCH_ARGS}


class LiveServer:
    """The app under test, served by werkzeug in a thread on 127.0.0.1:<random port>."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        from models import db

        self.app = app
        self.database = db.obj
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from conftest import make_test_app

    app = make_test_app(tmp_path_factory.mktemp("live"), **LIVE_SETTINGS)
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _live_database(request):
    """Point the models at the live server's database: other tests re-point the shared proxy."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from models import db

    db.initialize(request.getfixturevalue("live_server").database)
    yield
    if not db.is_closed():
        db.close()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, base_url):
    # Both permissions are needed to read back what Copy Code wrote.
    return {**browser_context_args, "base_url": base_url, "permissions": ["clipboard-read", "clipboard-write"]}


_phone_numbers = itertools.count(1000)


@pytest.fixture
def accounts(live_server):
    """Makes accounts on the live server through its pages (with Flask's test client, not the browser)."""
    return Accounts(live_server.app, next(_phone_numbers))


@pytest.fixture(params=["desktop", "phone"])
def form_factor(request):
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request):
    return request.param


@pytest.fixture
def tab(request, new_context, playwright, form_factor, javascript):
    """A fresh browser context (desktop 1280x800 or a 375 px touch phone; JavaScript on or off) and its page."""
    device = phone_args(playwright.devices) if form_factor == "phone" else DESKTOP
    context = new_context(**device, java_script_enabled=javascript)
    if javascript:
        context.add_init_script(CSP_LISTENER)
        context.clock.install()  # time still flows; tests may run it forward (countdowns)
    context.set_default_timeout(10_000)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name.removeprefix("test_")).strip("-")
    tab = Tab(context.new_page(), name, form_factor, javascript)
    yield tab
    call = getattr(request.node, "rep_call", None)
    if call is None or call.passed:
        tab.finish()  # every journey ends with no console error and no CSP violation


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report  # the `tab` fixture checks the end of a journey only when its steps passed
    return report
