"""The rules make each whole change in one transaction, without a view: signing in creates the session
row and its event; a change to two-step verification ends the account's other sessions."""
import pytest

import accounts
from models import AuthSession, Challenge, SecurityEvent, User, db


def _live_tokens(user_id):
    return AuthSession.select().where(AuthSession.user == user_id, AuthSession.revoked_at.is_null()).count()


def test_a_change_ends_the_other_sessions_and_renews_this_one_in_its_transaction(app, auth):
    from twostep import settings

    auth.signup()
    auth.enrol()
    with db.connection_context():
        user = User.get()
        here = accounts.Browser(ip="203.0.113.7", user_agent="here")
        accounts.start_session(user.id, here)
        elsewhere = accounts.Browser()
        accounts.start_session(user.id, elsewhere)
        before = here.session_token

        settings.turn_off(app.extensions["policy"], User.get(), here)

        assert accounts.active_session(elsewhere.session_token) is None  # signed out at once
        assert accounts.active_session(before) is None  # an old copy of this cookie is anonymous
        assert accounts.active_session(here.session_token).user_id == user.id  # this browser keeps going
        assert _live_tokens(user.id) == 1


def test_a_refused_change_ends_no_session(app, auth):
    from twostep import settings
    from twostep.refusals import TwoStepError

    auth.signup()  # no two-step verification: Off is refused
    with db.connection_context():
        user = User.get()
        other = accounts.Browser()
        accounts.start_session(user.id, other)
        with pytest.raises(TwoStepError):
            settings.turn_off(app.extensions["policy"], user, accounts.Browser())
        assert accounts.active_session(other.session_token) is not None


def test_signing_in_with_the_passcode_creates_the_session_and_its_event_together(app, client, auth, outbox,
                                                                                 monkeypatch):
    from accounts import events
    from twostep import signin

    auth.signup()
    auth.enrol()
    auth.signout()
    auth.signin()
    code = outbox.last_code()
    policy = app.extensions["policy"]
    with db.connection_context():
        user = User.get()
        challenge = Challenge.select().where(Challenge.purpose == "signin").get()
        sessions_before = AuthSession.select().count()
        signins_before = SecurityEvent.select().where(SecurityEvent.kind == "signin").count()

        # The event cannot be written: nothing of the sign-in may stay behind.
        original = events.record

        def failing(user_id, kind, **kwargs):
            if kind == "signin":
                raise RuntimeError("disk full")
            return original(user_id, kind, **kwargs)

        monkeypatch.setattr(events, "record", failing)
        browser = accounts.Browser()
        with pytest.raises(RuntimeError):
            signin.complete_with_passcode(policy, Challenge.get_by_id(challenge.id), code, browser)
        assert AuthSession.select().count() == sessions_before
        assert Challenge.get_by_id(challenge.id).finished_at is None

        monkeypatch.setattr(events, "record", original)
        signed_in = signin.complete_with_passcode(policy, Challenge.get_by_id(challenge.id), code, browser)
        assert signed_in.id == user.id
        assert accounts.active_session(browser.session_token).user_id == user.id
        assert SecurityEvent.select().where(SecurityEvent.kind == "signin").count() == signins_before + 1
