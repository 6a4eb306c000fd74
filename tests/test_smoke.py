"""The whole journey once, as a newcomer would take it: sign up, set up, sign out, sign in."""
from conftest import PHONE_E164


def test_signup_enrol_and_sign_in_with_a_passcode(client, auth, outbox):
    auth.signup()
    account = client.get("/account").get_data(as_text=True)
    assert "To enable" in account

    recovery = auth.enrol()
    assert len(recovery) == 19
    account = client.get("/account").get_data(as_text=True)
    assert "+81 ••••••••78" in account and PHONE_E164 not in account

    auth.signout()
    assert client.get("/dashboard").status_code == 302
    auth.signin_with_passcode()
    assert client.get("/dashboard").status_code == 200
