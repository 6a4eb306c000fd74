"""Passwords: "Forgot password?" (a one-time link by e-mail) and Change password on the Account page.

The link in the e-mail carries its token in the query string (never in the
path, which the access log keeps). Opening it moves the token into this
browser's session and redirects to the same page without it, so the token
is not left in the address bar, the history or a Referer. The rules are in
accounts.py: one use, PASSWORD_RESET_MINUTES, dead once the password
changes; a reset ends every session and never skips two-step verification.
"""
from flask import Blueprint, current_app, flash, request, session, url_for
from flask_login import current_user, login_required

import accounts
from views import messages
from views.forms import ChangePasswordForm, EmailForm, NewPasswordForm
from views.htmx import form_page, go, go_full, page, refused
from views.i18n import locale, text
from views.sessions import keep_link_token, keep_session, link_in_session, this_browser
from views.limiter import limit_posts
from views.web import public_url, who

bp = Blueprint("password", __name__)

RESET_TOKEN = "reset_token"  # the session key holding the link's token


def forgot_context():
    """password/forgot.html's variables before the request, but its form and error."""
    return {"sent": False}


def forgot_sent_context():
    """password/forgot.html's variables after the request: the same answer for every address."""
    return {"sent": True, "form": None, "error": None, "minutes": current_app.config["PASSWORD_RESET_MINUTES"]}


def reset_context(email=None):
    """password/reset.html's variables, but its form and error, while the link lives: the account's
    address (for password managers). A dead link (`email` None): no form, no error, no address."""
    return {"email": email} if email else {"form": None, "error": None, "email": None}


def change_context(user):
    """password/change.html's variables, but its form and error: the Account page's tab and the user."""
    return {"tab": "personal", "user": user}


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit_posts
def forgot():
    """Forgot password?: the same answer whether or not the address has an account."""
    form = EmailForm()
    if form.validate_on_submit():
        # Only queued here, the same for every address; the mail sender finds the account and mails the link.
        accounts.request_password_reset(form.email.data, link=public_url(url_for("password.reset")) + "?token=",
                                        minutes=current_app.config["PASSWORD_RESET_MINUTES"],
                                        site_name=current_app.config["SITE_NAME"], locale=locale())
        return go(url_for("password.forgot_sent"))
    return form_page("password/forgot.html", form, **forgot_context())


@bp.get("/password/forgot/sent")
def forgot_sent():
    """What everyone is told after asking for a link."""
    return page("password/forgot.html", **forgot_sent_context())


@bp.route("/password/reset", methods=["GET", "POST"])
@limit_posts
def reset():
    """Choose a new password with the link from the e-mail (the token moves from the URL to the session)."""
    moved = keep_link_token(RESET_TOKEN)
    if moved:
        return moved
    token, link = link_in_session(RESET_TOKEN, "reset")
    if link is None:
        return page("password/reset.html", status=410 if request.method == "POST" else 200, **reset_context())
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(current_app.extensions["password_hasher"], token, form.password.data, **who())
        except accounts.AccountError as error:
            return refused("password/reset.html", error, form=form, **reset_context(link.user.email))
        session.clear()  # this browser is signed out too: every session of the account has ended
        flash(text(messages.PASSWORD_RESET), "info")
        return go_full(url_for("signin.password"))
    return form_page("password/reset.html", form, **reset_context(link.user.email))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limit_posts
def change():
    """Change password: needs the current one; the account's other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            browser = this_browser()
            accounts.change_password(current_app.extensions["password_hasher"], current_user, form.current.data,
                                     form.password.data, browser)
        except accounts.AccountError as error:
            return refused("password/change.html", error, form=form, **change_context(current_user))
        keep_session(browser)
        flash(text(messages.PASSWORD_CHANGED), "info")
        return go(url_for("account.personal"))
    return form_page("password/change.html", form, **change_context(current_user))
