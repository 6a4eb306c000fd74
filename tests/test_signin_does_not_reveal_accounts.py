"""Signing in with an unknown email and with a wrong password look the same from outside: the same
status, headers, cookies and body, and the same time (an argon2 check runs either way)."""
import re
import statistics
import time

import pytest

from conftest import CSRF_RE

# Real-sized argon2 here (the rest of the suite uses the cheapest): the check then takes tens of
# milliseconds, so an answer that skipped it for an unknown email would be several times faster.
COSTS = {"ARGON2_TIME_COST": 2, "ARGON2_MEMORY_COST": 32768, "ARGON2_PARALLELISM": 1,
         # Every try here is checked: the per-address password throttle (tests/test_password_throttle.py)
         # would answer later tries at once, for both addresses alike.
         "PASSWORD_FREE_FAILURES": 1000}
VOLATILE = {"Set-Cookie", "Content-Length", "X-Request-ID", "Date"}


def _signin(client, token, email, password):
    started = time.perf_counter()
    response = client.post("/signin", data={"email": email, "password": password, "csrf_token": token}, csrf=False)
    return response, time.perf_counter() - started


def _cookies(response):
    """Each Set-Cookie without its value: name and attributes."""
    return sorted(re.sub(r"^([^=]+)=[^;]*", r"\1=…", c) for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.settings(**COSTS)
def test_unknown_email_and_wrong_password_are_alike_in_status_headers_cookies_and_time(client, auth):
    auth.signup()
    auth.signout()
    match = CSRF_RE.search(client.get("/signin").get_data(as_text=True))
    token = match.group(1) or match.group(2)
    unknown, _ = _signin(client, token, "nobody@example.com", "correct horse")
    wrong, _ = _signin(client, token, "ann@example.com", "wrong password")

    assert unknown.status_code == wrong.status_code == 422
    assert {k: v for k, v in unknown.headers.items() if k not in VOLATILE} == \
        {k: v for k, v in wrong.headers.items() if k not in VOLATILE}
    assert _cookies(unknown) == _cookies(wrong)
    strip = lambda r: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(unknown).replace("nobody@example.com", "") == strip(wrong).replace("ann@example.com", "")

    # Time: medians of interleaved tries. The bound (within a factor of 2) is loose enough for a
    # busy machine and tight enough to catch a skipped hash, which is 5-20 times faster at these costs.
    times = {"unknown": [], "wrong": []}
    for _ in range(9):
        times["unknown"].append(_signin(client, token, "nobody@example.com", "correct horse")[1])
        times["wrong"].append(_signin(client, token, "ann@example.com", "wrong password")[1])
    ratio = statistics.median(times["unknown"]) / statistics.median(times["wrong"])
    assert 0.5 < ratio < 2, {k: [round(t * 1000) for t in v] for k, v in times.items()}
