"""Every POST route refuses a form without its CSRF token, and every GET page carries the security
headers. The routes come from the app's own URL map, so a route added later is covered without
anyone remembering to add it here (a new URL parameter needs a sample value below)."""
import re

import pytest

from conftest import PHONE

# One real value per URL parameter, so each route is reached as a user would reach it.
SAMPLES = {"purpose": "enable", "slug": "two-step-verification", "code": "ja", "filename": "css/app.css",
           "passkey": "1"}
HEADERS = {
    "Content-Security-Policy": re.compile(r"default-src 'self'; script-src 'self'; style-src 'self'.*"
                                          r"frame-ancestors 'none'"),
    "X-Content-Type-Options": re.compile(r"nosniff"),
    "Referrer-Policy": re.compile(r"same-origin"),
    "X-Frame-Options": re.compile(r"DENY"),
}


def routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            missing = set(rule.arguments) - set(SAMPLES)
            assert not missing, f"{rule.rule}: give {missing} a sample value in SAMPLES"
            yield rule.rule, re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], rule.rule)


@pytest.fixture
def signed_in(client, auth):
    auth.signup()
    auth.enrol(PHONE)
    return client


def test_every_post_route_refuses_a_form_without_its_csrf_token(app, signed_in):
    posts = list(routes(app, "POST"))
    assert len(posts) >= 20  # sign-in, set-up, settings, help votes ...
    for rule, url in posts:
        for htmx in (False, True):
            response = signed_in.post(url, data={"code": "123456", "phone": PHONE}, csrf=False, htmx=htmx)
            assert response.status_code == 400, f"POST {rule} without a CSRF token answered {response.status_code}"
            assert "This form has expired" in response.get_data(as_text=True), rule
    # And with a token from another browser's session: refused too.
    other = app.test_client()
    foreign = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                        other.get("/signin").get_data(as_text=True)).group(1)
    for rule, url in posts:
        assert signed_in.post(url, data={"csrf_token": foreign}, csrf=False).status_code == 400, rule


def test_every_get_page_carries_the_security_headers(app, signed_in):
    pages = list(routes(app, "GET"))
    assert len(pages) >= 25
    for rule, url in pages:
        response = signed_in.get(url)
        for name, expected in HEADERS.items():
            assert expected.fullmatch(response.headers.get(name, "")), f"GET {rule}: {name} is {response.headers.get(name)!r}"
        assert response.headers.get("Cache-Control") == "no-store", rule  # pages are personal
    anonymous = app.test_client()
    for rule, url in pages:
        response = anonymous.get(url)
        assert all(expected.fullmatch(response.headers.get(name, "")) for name, expected in HEADERS.items()), rule
