"""Sign-up gives one answer for new and existing addresses; the address is confirmed by a link before set-up.

The mail is read from the development mailer's outbox (MAIL_BACKEND=outbox,
as in `make run` and at /dev/mail); tests/test_passwords.py reads a real
SMTP server.
"""
import re

import pytest
from conftest import PHONE, Auth, BrowserLikeClient, Mailbox


def _without_tokens(html):
    return re.sub(r'value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html)


def _signup(client, email, password="correct horse", name="Ann", htmx=False):
    return client.post("/signup", data={"email": email, "password": password, "name": name}, htmx=htmx)


def test_sign_up_answers_the_same_for_a_new_and_a_taken_address(app, client, auth, mailbox):
    auth.signup("ann@example.com")
    auth.signout()
    app.test_client_class = BrowserLikeClient
    for htmx in (False, True):
        other = app.test_client()
        new = _signup(other, f"new{int(htmx)}@example.com", htmx=htmx)
        taken = _signup(other, "ANN@example.com", password="some other pw", htmx=htmx)
        assert (new.status_code, new.headers.get("Location"), new.headers.get("HX-Location")) == \
            (taken.status_code, taken.headers.get("Location"), taken.headers.get("HX-Location"))
        assert new.get_data() == taken.get_data()
        # Neither browser is signed in, so the next page cannot tell them apart either.
        assert other.get("/dashboard").status_code == 302
    page = client.get("/signup/sent").get_data(as_text=True)
    assert "Check your email" in page

    # The details went by e-mail: a link to the new address, a notice to the taken one's owner.
    assert mailbox.messages("new0@example.com")[-1][1] == "beSTREAM: Confirm your e-mail address"
    to_ann = mailbox.messages("ann@example.com")
    assert to_ann[-1][1] == "beSTREAM: Someone tried to sign up with your address"
    assert "Forgot password?" in to_ann[-1][2] and "IP address: 127.0.0.1" in to_ann[-1][2]
    # At most one such notice an hour, however many tries.
    assert [m[1] for m in to_ann].count("beSTREAM: Someone tried to sign up with your address") == 1
    # The existing account is untouched: its password still works, the attempt's does not.
    assert auth.signin("ann@example.com", "some other pw").status_code == 422
    assert auth.signin("ann@example.com").status_code == 303
    assert "Someone tried to sign up with this e-mail address" in client.get("/account/activity").get_data(as_text=True)


def test_bad_sign_up_input_is_still_refused_on_the_page(client):
    response = _signup(client, "ann@example.com", password="short")
    assert response.status_code == 422 and "Choose a password of at least 8 characters." in response.get_data(
        as_text=True)


def test_set_up_waits_for_a_confirmed_address_and_sends_no_sms(client, auth, outbox, mailbox):
    auth.register()
    assert auth.signin().status_code == 303  # an unconfirmed account may sign in
    account = client.get("/account").get_data(as_text=True)
    assert "Not confirmed" in account and "Send the link again" in account
    for path in ("/two-step/phone", "/two-step/passcode", "/two-step/recovery", "/two-step/confirm"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/email/required", path
    response = client.post("/two-step/phone", data={"phone": PHONE})
    assert response.status_code == 303 and response.headers["Location"] == "/email/required"
    assert outbox.count() == 0
    page = client.get("/email/required").get_data(as_text=True)
    assert "Confirm your email address first" in page and "ann@example.com" in page

    # "Send the link again": a new link, at most three an hour.
    for _ in range(4):
        assert client.post("/email/resend").status_code == 303
    links = [m for m in mailbox.messages("ann@example.com") if "Confirm your e-mail address" in m[1]]
    assert len(links) == 3
    assert "A new link is on its way" in client.get("/email/required").get_data(as_text=True)

    response = auth.confirm_email()
    assert response.headers["Location"] == "/account"  # signed in as that account
    assert "Your email address is confirmed." in client.get("/account").get_data(as_text=True)
    assert "Not confirmed" not in client.get("/account").get_data(as_text=True)
    assert client.get("/email/required").headers["Location"] == "/two-step/phone"
    auth.enrol()
    assert outbox.count() == 1
    assert "E-mail address confirmed" in client.get("/account/activity").get_data(as_text=True)


def test_a_confirmation_link_works_once_and_leaves_the_address_bar(app, client, auth, mailbox):
    auth.register()
    link = mailbox.last_link("ann@example.com", "/email/confirm")
    opened = client.get(link)
    assert opened.status_code == 303 and opened.headers["Location"] == "/email/confirm"
    page = client.get("/email/confirm").get_data(as_text=True)
    assert "Confirm that <strong>ann@example.com</strong> is your address." in page
    response = client.post("/email/confirm")
    assert response.headers["Location"] == "/signin"
    assert "Your email address is confirmed." in client.get("/signin").get_data(as_text=True)
    again = app.test_client()
    again.get(link)
    assert "This link no longer works" in again.get("/email/confirm").get_data(as_text=True)
    assert client.post("/email/confirm").status_code == 410


def test_a_confirmation_link_expires_after_a_day(client, auth, mailbox, clock):
    auth.register()
    link = mailbox.last_link("ann@example.com", "/email/confirm")
    clock.advance(24 * 3600 + 1)
    client.get(link)
    assert "This link no longer works" in client.get("/email/confirm").get_data(as_text=True)


def test_a_made_up_or_oversized_token_is_a_dead_link_never_a_500(client):
    for token in ("nope", "x" * 5000, "%00", "../../etc"):
        client.get("/email/confirm", query_string={"token": token})
        assert "This link no longer works" in client.get("/email/confirm").get_data(as_text=True)
        client.get("/password/reset", query_string={"token": token})
        assert "This link no longer works" in client.get("/password/reset").get_data(as_text=True)


@pytest.mark.settings(EMAIL_VERIFICATION=False)
def test_without_email_verification_sign_up_mails_a_welcome_and_set_up_is_open(client, auth, mailbox, outbox):
    assert _signup(client, "ann@example.com").headers["Location"] == "/signup/sent"
    assert "you can sign in now" in client.get("/signup/sent").get_data(as_text=True)
    to, subject, body = mailbox.messages("ann@example.com")[-1]
    assert subject == "beSTREAM: Your account is ready" and "/signin" in body and "token" not in body
    assert auth.signin().status_code == 303
    assert "Not confirmed" not in client.get("/account").get_data(as_text=True)
    auth.enrol()
    assert outbox.count() == 1


def test_operator_made_accounts_count_as_confirmed(app, client, auth):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "bob@example.com", "--password", "long enough pw"]).exit_code == 0
    assert auth.signin("bob@example.com", "long enough pw").status_code == 303
    assert client.get("/two-step/phone").status_code == 200


def test_make_runs_demo_account_can_set_up_two_step_verification(app, client, auth, outbox):
    with app.app_context():  # as `flask demo` runs it
        result = app.test_cli_runner().invoke(args=["demo"])
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert auth.signin("demo@example.com", password).status_code == 303
    assert client.post("/two-step/phone", data={"phone": PHONE}).headers["Location"] == "/two-step/passcode"
    assert outbox.count() == 1


def test_the_lost_phone_help_page_names_the_support_contact_and_is_linked_from_the_code_screens(tmp_path, auth,
                                                                                                 client):
    auth.signup()
    auth.enrol()
    auth.signout()
    auth.signin()
    for path in ("/signin/passcode", "/signin/recovery"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/help/lost-phone-and-recovery-code"' in page, path
    article = client.get("/help/lost-phone-and-recovery-code").get_data(as_text=True)
    assert "Lost your phone and your recovery code?" in article
    assert "Contact the administrator of beSTREAM." in article


@pytest.mark.settings(SUPPORT_CONTACT="help@bestream.example")
def test_the_lost_phone_help_page_shows_support_contact(client):
    article = client.get("/help/lost-phone-and-recovery-code").get_data(as_text=True)
    assert "help@bestream.example" in article and "one-time link" in article
