"""The browser's side of a signed-in session: the cookie's token set, renewed, and the fresh-password check.

The rows themselves (a session per signed-in browser, its password time) are
accounts/ rules; these helpers keep the Flask session in step with them.
"""
from flask import request, session, url_for
from flask_login import login_user

import accounts
from views.htmx import go
from views.web import auth_session, client_ip, policy, user_agent


def start_signed_in_session(user):
    """Renew the session and sign `user` in (checklist item 24). Returns nothing the caller needs."""
    accounts.end_session(session.get("sid"))  # a browser signed in as someone else: that session ends here
    session.clear()  # drops any pre-sign-in state and the old CSRF token
    session["sid"] = accounts.start_session(user.id, ip=client_ip(), user_agent=user_agent())
    login_user(user)


def renew_session_token():
    """After a change to two-step settings: this browser keeps going, old copies of its cookie stop."""
    fresh = accounts.rotate_session(session.get("sid"))
    if fresh:
        session["sid"] = fresh


def recent_password_or_prompt():
    """None when the password was entered recently enough; else the redirect to /reauth."""
    if accounts.recently_authenticated(auth_session(), policy().reauth_minutes):
        return None
    # Back to this page's GET form afterwards: the user confirms the change there.
    return go(url_for("account.reauth", next=request.path))
