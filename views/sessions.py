"""The browser's side of a signed-in session: the cookie's token set, renewed, and the fresh-password check.

The rows themselves (a session per signed-in browser, its password time) are
accounts/ rules; these helpers keep the Flask session in step with them.
"""
from flask import after_this_request, current_app, request, session, url_for
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

import accounts
from views.htmx import go
from views.web import auth_session, client_ip, policy, user_agent


def start_signed_in_session(user):
    """Renew the session and sign `user` in (checklist item 24). Returns nothing the caller needs."""
    accounts.end_session(session.get("sid"))  # a browser signed in as someone else: that session ends here
    session.clear()  # drops any pre-sign-in state and the old CSRF token
    session["sid"] = accounts.start_session(user.id, ip=client_ip(), user_agent=user_agent())
    login_user(user)
    remember_device(user.id)


DEVICE_DAYS = 365


def _device_cookie_name():
    return "__Host-device" if current_app.config["SESSION_COOKIE_SECURE"] else "device"


def _device_signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def remember_device(user_id):
    """Mark this browser as one `user_id` has signed in from (a signed cookie holding the account id only).

    Wrong passwords typed by others slow down sign-in for the account's
    address (accounts.password_wait); a browser the owner has signed in from
    before is exempt, so nobody can lock the owner out just by knowing their
    e-mail address (OWASP's "device cookie" defence).
    """
    value = _device_signer().dumps(int(user_id))

    @after_this_request
    def _set(response):
        response.set_cookie(_device_cookie_name(), value, max_age=DEVICE_DAYS * 24 * 3600, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"], path="/")
        return response


def known_device_user():
    """The account id this browser has signed in to before, or None."""
    value = request.cookies.get(_device_cookie_name())
    if not value:
        return None
    try:
        return int(_device_signer().loads(value, max_age=DEVICE_DAYS * 24 * 3600))
    except (BadSignature, ValueError, TypeError):
        return None


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
