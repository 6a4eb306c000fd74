"""The browser's side of a signed-in session: which browser this is, its cookie, and the fresh-password check.

The rows themselves (a session per signed-in browser, its password time) are
accounts/ rules, which sign a browser in and renew its token inside the
change's transaction; these helpers keep the Flask session in step with them.
"""
import functools

from flask import request, session, url_for
from flask_login import login_user

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
