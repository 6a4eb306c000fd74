"""Issue 13, items 11-13: every form in every encoding answers 4xx, never 5xx; one e-mail address
exactly; the "I kept this number in a safe place" box is ticked only by what it sends."""
import io
import json

import pytest

from conftest import Auth, BrowserLikeClient
from models import MailMessage, User, db

FIELDS = ("email", "password", "name", "phone", "code", "kept", "helpful")


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith(("/dev", "/static")):
            yield rule.rule.replace("<purpose>", "change").replace("<slug>", "how-do-i-set-up-two-step-verification")


def encodings(token):
    """(name, keyword arguments for client.post) for each way a script may send a form."""
    yield "urlencoded", {"data": {**{f: "x" * 5000 for f in FIELDS}, "csrf_token": token}}
    yield "multipart-files", {"data": {**{f: (io.BytesIO(b"\x00\xff" * 10), "f.txt") for f in FIELDS},
                                       "csrf_token": token}, "content_type": "multipart/form-data"}
    yield "multipart-lists", {"data": {**{f: ["a", "b"] for f in FIELDS}, "csrf_token": token},
                              "content_type": "multipart/form-data"}
    yield "json", {"data": json.dumps({f: {"$ne": 1} for f in FIELDS}), "content_type": "application/json",
                   "headers": {"X-CSRFToken": token}}
    yield "text", {"data": "email=a&password=b", "content_type": "text/plain", "headers": {"X-CSRFToken": token}}


def fuzz(app, client, token):
    seen = []
    for path in post_routes(app):
        for name, kwargs in encodings(token):
            response = client.post(path, csrf=False, **kwargs)
            seen.append((path, name, response.status_code))
            assert response.status_code < 500, (path, name, response.get_data(as_text=True)[:500])
    return seen


def test_every_form_in_every_encoding_gets_no_5xx(app, client, auth, outbox):
    token = client.csrf_token()
    fuzz(app, client, token)  # anonymous
    auth.signup()
    auth.enrol()
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    seen = fuzz(app, client, client.csrf_token())  # signed in, password fresh
    auth.signout()
    auth.signin()  # a pending sign-in
    seen += fuzz(app, client, client.csrf_token())
    files = [status for path, name, status in seen if name == "multipart-files" and path in
             ("/signin", "/signup", "/reauth", "/signin/passcode", "/signin/recovery", "/two-step/phone")]
    assert files and set(files) == {400}


def test_a_file_in_a_text_field_gets_a_clear_message(client):
    token = client.csrf_token()
    response = client.post("/signin", csrf=False, content_type="multipart/form-data",
                           data={"email": (io.BytesIO(b"x"), "a.txt"), "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "This form takes text only" in response.get_data(as_text=True)


@pytest.mark.parametrize("email", ["root,postmaster,attacker@evil.test", "ann@example.com,attacker@evil.test",
                                   "Ann <ann@example.com>", "ann@example.com;x@evil.test", '"a,b"@example.com',
                                   "ann@example", "ann @example.com"])
def test_an_email_that_is_not_exactly_one_address_is_refused(client, email):
    response = client.post("/signup", data={"email": email, "password": "correct horse", "name": "Ann"})
    assert response.status_code == 422
    assert "Enter a valid email address" in response.get_data(as_text=True)
    with db.connection_context():
        assert User.select().count() == 0


def test_the_smtp_mailer_sends_to_exactly_the_one_address():
    from mail import MailError
    from mail.smtp import SmtpMailer

    mailer = SmtpMailer("127.0.0.1", 9, "beSTREAM <no-reply@example.com>", use_tls=False, timeout=1)
    with pytest.raises(MailError, match="exactly one"):
        mailer.send("root,postmaster,attacker@evil.test", "s", "b")


@pytest.mark.parametrize("value", ["0", "no", "false", "off", "", "Y", "yes "])
def test_the_kept_box_is_ticked_only_by_the_value_it_sends(client, auth, value):
    auth.signup()
    assert client.post("/two-step/phone", data={"phone": "090-1234-5678"}).status_code == 303
    assert client.post("/two-step/passcode", data={"code": auth.outbox.last_code()}).status_code == 303
    client.get("/two-step/recovery")
    response = client.post("/two-step/confirm", data={"kept": value})
    assert response.status_code == 422
    with db.connection_context():
        assert User.get().two_step == "none"
    assert client.post("/two-step/confirm", data={"kept": "y"}).status_code == 303
