"""The operators' commands, run through Flask's CLI runner against the real database.

What an operator sees (messages, exit codes) and what the account then
feels (sessions ended, two-step verification gone, the security record).
"""
import re

import pytest
from conftest import PHONE_E164


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args, **kwargs: runner.invoke(args=list(args), **kwargs)


def _row(query):
    from models import db

    with db.connection_context():
        return query.first()


def test_users_list_shows_each_account_and_its_state(cli, auth):
    assert cli("users", "list").output.strip() == "No accounts yet."
    auth.signup()
    auth.enrol()
    assert cli("users", "create", "bob@example.com", "--password", "long enough pw").exit_code == 0
    result = cli("users", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "EMAIL", "NAME", "TWO-STEP", "STATUS", "CREATED"]
    assert lines[1].split()[1:5] == ["ann@example.com", "Ann", "on", "active"]
    assert lines[2].split()[1:5] == ["bob@example.com", "bob", "none", "active"]
    assert PHONE_E164 not in result.output


def test_users_disable_ends_sessions_and_refuses_sign_in(cli, auth, client):
    auth.signup()
    assert client.get("/dashboard").status_code == 200
    result = cli("users", "disable", "Ann@Example.com")
    assert result.exit_code == 0
    assert "Disabled ann@example.com" in result.output
    # The browser that was signed in is signed out now...
    assert client.get("/dashboard").status_code == 302
    # ...and the password no longer opens the account.
    response = auth.signin()
    assert response.status_code == 422
    assert client.get("/dashboard").status_code == 302
    again = cli("users", "disable", "ann@example.com")
    assert again.exit_code == 0 and "already disabled" in again.output
    from models import SecurityEvent

    event = _row(SecurityEvent.select().where(SecurityEvent.kind == "account_disabled"))
    assert event.actor == "administrator"


@pytest.mark.parametrize("command", [("users", "disable"), ("two-step", "status"), ("two-step", "reset")])
def test_bad_emails_get_a_message_and_a_failing_exit_code(cli, command):
    unknown = cli(*command, "nobody@example.com", *(["--yes"] if command[1] == "reset" else []))
    assert unknown.exit_code == 1
    assert "No account with the email nobody@example.com." in unknown.output
    invalid = cli(*command, "not-an-email")
    assert invalid.exit_code == 1
    assert "Enter a valid email address" in invalid.output
    missing = cli(*command)
    assert missing.exit_code == 2
    assert "Missing argument 'EMAIL'" in missing.output


@pytest.mark.settings(SMS_PER_ACCOUNT_HOUR=20, SMS_PER_NUMBER_HOUR=20)  # set-up, step-up, Enable, sign-in, resends
def test_two_step_status_shows_state_masked_number_and_lock_never_the_number(cli, auth, client, clock):
    auth.signup()
    result = cli("two-step", "status", "ann@example.com")
    assert result.exit_code == 0
    assert "Two-step:  none" in result.output
    auth.enrol()
    result = cli("two-step", "status", "ann@example.com")
    assert "Two-step:  on" in result.output
    assert "Number:    +81 ••••••••78" in result.output
    assert "Lock:      not locked (0 wrong codes in a row)" in result.output
    assert PHONE_E164 not in result.output and "9012345678" not in result.output

    auth.step_up()
    assert client.post("/two-step/off").status_code == 303
    result = cli("two-step", "status", "ann@example.com")
    assert "Two-step:  off" in result.output
    assert "Off until: " in result.output and " UTC" in result.output

    # Ten wrong codes at sign-in lock the second step.
    assert client.post("/reauth", data={"password": "correct horse"}).status_code == 303
    assert client.post("/two-step/enable").status_code == 303
    assert client.post("/two-step/enable/passcode", data={"code": auth.outbox.last_code()}).status_code == 303
    auth.signout()
    auth.signin()
    for attempt in range(10):
        if attempt % 5 == 0:
            clock.advance(31)
            client.post("/signin/resend")
        client.post("/signin/passcode", data={"code": "000000"})
    result = cli("two-step", "status", "ann@example.com")
    assert "Lock:      locked until " in result.output
    assert "000000" not in result.output


def test_two_step_reset_removes_it_ends_sessions_and_is_recorded(cli, auth, client):
    auth.signup()
    auth.enrol()
    assert client.get("/dashboard").status_code == 200
    refused = cli("two-step", "reset", "ann@example.com", input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert client.get("/dashboard").status_code == 200  # nothing changed

    result = cli("two-step", "reset", "ann@example.com", "--yes")
    assert result.exit_code == 0, result.output
    assert "Two-step verification removed from ann@example.com; 1 session(s) ended." in result.output
    assert "A one-time link to set a new password is e-mailed to ann@example.com" in result.output
    assert "token=" not in result.output  # e-mailed, not printed
    assert client.get("/dashboard").status_code == 302
    # Whoever knows the old password gets nothing: it no longer signs in.
    response = auth.signin()
    assert response.status_code == 422
    assert "An administrator reset your account" in response.get_data(as_text=True)
    # The owner sets a new password with the mailed link, then signs in and can set up a new phone.
    assert client.get(auth.mailbox.last_link("ann@example.com", "/password/reset")).status_code == 303
    assert client.post("/password/reset", data={"password": "a new password"}).status_code == 303
    response = auth.signin(password="a new password")
    assert response.headers["Location"].endswith("/dashboard")
    assert "To enable" in client.get("/account").get_data(as_text=True)
    activity = client.get("/account/activity").get_data(as_text=True)
    assert "Two-step verification reset by an administrator" in activity
    assert "By an administrator" in activity

    from models import MailMessage, SecurityEvent, User

    event = _row(SecurityEvent.select().where(SecurityEvent.kind == "two_step_reset"))
    assert event.actor == "administrator"
    user = _row(User.select())
    assert (user.two_step, user.phone, user.recovery_hash) == ("none", None, None)
    mail = _row(MailMessage.select().where(MailMessage.subject.contains("reset by an administrator")))
    assert mail.to == "ann@example.com" and "An administrator" in mail.body
    link_mail = _row(MailMessage.select().where(MailMessage.subject == "beSTREAM: Set a new password"))
    assert "within 24 hours" in link_mail.body

    again = cli("two-step", "reset", "ann@example.com", "--yes")
    assert again.exit_code == 1 and "has no two-step verification to reset" in again.output


def test_two_step_reset_can_print_the_new_password_link_for_the_operator(cli, auth, client):
    auth.signup()
    auth.enrol()
    mails_before = len(auth.mailbox.messages("ann@example.com"))
    result = cli("two-step", "reset", "ann@example.com", "--yes", "--print-link")
    assert result.exit_code == 0, result.output
    link = re.search(r"https?://\S+/password/reset\?token=[\w-]+", result.output).group(0)
    subjects = [m[1] for m in auth.mailbox.messages("ann@example.com")[mails_before:]]
    assert subjects == ["beSTREAM: Two-step verification was reset by an administrator"]  # no link mailed
    assert auth.signin().status_code == 422
    path = link[link.index("/password/reset"):]
    assert client.get(path).status_code == 303
    assert client.post("/password/reset", data={"password": "from the operator"}).status_code == 303
    assert auth.signin(password="from the operator").headers["Location"].endswith("/dashboard")
    # The printed link works once.
    client.get(path)
    assert "This link no longer works" in client.get("/password/reset").get_data(as_text=True)


def test_users_set_password_ends_sessions_mails_the_owner_and_keeps_two_step(cli, auth, client):
    auth.signup()
    auth.enrol()
    assert client.get("/dashboard").status_code == 200
    result = cli("users", "set-password", "ann@example.com", input="operator set pw\noperator set pw\n")
    assert result.exit_code == 0, result.output
    assert "New password set for ann@example.com; 1 session(s) ended." in result.output
    assert "operator set pw" not in result.output.split("New password set")[1]
    assert client.get("/dashboard").status_code == 302
    assert auth.signin().status_code == 422
    response = auth.signin(password="operator set pw")
    assert response.headers["Location"].endswith("/signin/passcode")  # two-step verification still asked
    assert auth.mailbox.messages("ann@example.com")[-1][1] == "beSTREAM: Your password was set by an administrator"
    short = cli("users", "set-password", "ann@example.com", "--password", "short")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    unknown = cli("users", "set-password", "nobody@example.com", "--password", "long enough pw")
    assert unknown.exit_code == 1 and "No account with the email nobody@example.com." in unknown.output


def _sms_record(days_ago, phone, purpose, status):
    import datetime

    from models import SmsRecord, db
    from core import clock

    with db.connection_context():
        SmsRecord.create(phone=phone, purpose=purpose, status=status, ip="192.0.2.1",
                         created_at=clock.now() - datetime.timedelta(days=days_ago))


@pytest.mark.settings(SMS_PRICES="JP=0.07, *=0.05", SMS_PRICE_CURRENCY="EUR", SMS_DAILY_LIMIT=40)
def test_sms_usage_today_and_over_30_days_by_purpose_and_country_with_the_budget_and_the_cost(cli, auth):
    auth.signup()
    auth.enrol()  # today: one SMS to Japan, to set up
    for status in ("sent", "sent", "failed", "refused"):
        _sms_record(3, "+12015550123", "signin", status)  # three days ago: the US
    _sms_record(40, "+819012345678", "signin", "sent")  # older than the period
    result = cli("sms", "usage")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["purpose", "country", "today:", "sent", "failed", "refused", "period:", "sent",
                                "failed", "refused", "est.", "cost"]
    assert lines[2].split() == ["enrol", "JP", "1", "0", "0", "1", "0", "0", "0.07", "EUR"]
    assert lines[3].split() == ["signin", "US", "0", "0", "0", "2", "1", "1", "0.15", "EUR"]
    assert "Budget left: 39 of 40 in the last 24 hours" in result.output
    assert "today 0.07 EUR, last 30 days 0.22 EUR." in result.output
    assert "+1201" not in result.output and PHONE_E164 not in result.output


@pytest.mark.settings(SMS_PRICES="JP=0.07")
def test_sms_usage_names_countries_without_a_price(cli):
    _sms_record(1, "+12015550123", "signin", "sent")
    result = cli("sms", "usage")
    assert result.exit_code == 0
    assert "signin    US" in result.output and "No price for: US" in result.output
    assert "last 30 days 0.00 EUR" in result.output


@pytest.mark.settings(SMS_PRICES="Japan=cheap")
def test_sms_usage_refuses_prices_it_cannot_read(cli):
    result = cli("sms", "usage")
    assert result.exit_code == 1 and "SMS_PRICES: 'Japan=cheap' is not COUNTRY=PRICE" in result.output
