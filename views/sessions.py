"""The browser's side of a signed-in session: which browser this is, its cookie, and the fresh-password check.

The rows themselves (a session per signed-in browser, its password time) are
accounts/ rules, which sign a browser in and renew its token inside the
change's transaction; these helpers keep the Flask session in step with them.
"""
import functools

from flask import after_this_request, current_app, request, session, url_for
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

import accounts
from views.htmx import go
from views.web import auth_session, client_ip, policy, user_agent


def this_browser():
    """The browser making this request, as the rules take it (address, User-Agent, session token)."""
    return accounts.Browser(ip=client_ip(), user_agent=user_agent(), session_token=session.get("sid"))


def keep_session(browser):
    """After a change that renewed this browser's session token: the cookie carries the new one."""
    if browser.session_token:
        session["sid"] = browser.session_token


def signed_in(user, browser):
    """After a rule signed `browser` in to `user`'s account: a fresh cookie session naming the new row."""
    session.clear()  # drops any pre-sign-in state and the old CSRF token
    session["sid"] = browser.session_token
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


def keep_link_token(key):
    """For the page a one-time link in an e-mail opens (password reset, e-mail confirmation).

    The mailed link itself (a GET with ?token=) keeps its token in this
    browser's session under `key` and is answered with a redirect to the
    same page without it, so the token is not left in the address bar, the
    history or a Referer. Returns that redirect, or None for any other request.
    """
    if request.method == "GET" and "token" in request.args:
        session[key] = request.args["token"][:100]
        return go(request.path)
    return None


def link_in_session(key, purpose):
    """(token, its live AccountToken) of the link this browser opened (`keep_link_token`); (token, None)
    when it is dead or there is none, and the session forgets it."""
    token = session.get(key)
    link = accounts.find_link(token, purpose)
    if link is None:
        session.pop(key, None)
    return token, link


def fresh_password_required(view=None, *, back_to=None):
    """The password must have been typed on /reauth within REAUTH_MINUTES, else /reauth first.

    Afterwards the browser comes back to this page, or to the endpoint `back_to`.
    """
    if view is None:
        return lambda view: fresh_password_required(view, back_to=back_to)

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not accounts.recently_authenticated(auth_session(), policy().reauth_minutes):
            # Back to a page's GET form afterwards: the user confirms the change there.
            return go(url_for("account.reauth", next=url_for(back_to) if back_to else request.path))
        return view(*args, **kwargs)

    return wrapped
