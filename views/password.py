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
from views.sessions import keep_session, this_browser
from views.forms import ChangePasswordForm, EmailForm, NewPasswordForm, first_error
from views.htmx import go, go_full, page
from views.i18n import error_text, locale, text
from views.limiter import limit_posts
from views.web import public_url, who

bp = Blueprint("password", __name__)

RESET_TOKEN = "reset_token"  # the session key holding the link's token


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
    error = first_error(form) if form.is_submitted() else None
    return page("password/forgot.html", status=422 if error else 200, form=form, error=error, sent=False)


@bp.get("/password/forgot/sent")
def forgot_sent():
    """What everyone is told after asking for a link."""
    return page("password/forgot.html", form=None, error=None, sent=True,
                minutes=current_app.config["PASSWORD_RESET_MINUTES"])


@bp.route("/password/reset", methods=["GET", "POST"])
@limit_posts
def reset():
    """Choose a new password with the link from the e-mail (the token moves from the URL to the session)."""
    if request.method == "GET" and "token" in request.args:
        session[RESET_TOKEN] = request.args["token"][:100]
        return go(url_for("password.reset"))
    token = session.get(RESET_TOKEN)
    link = accounts.find_link(token, "reset")
    if link is None:
        session.pop(RESET_TOKEN, None)
        return page("password/reset.html", status=410 if request.method == "POST" else 200, form=None,
                    error=None, email=None)
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.reset_password(current_app.extensions["password_hasher"], token, form.password.data, **who())
        except accounts.AccountError as refused:
            error = error_text(refused)
        else:
            session.clear()  # this browser is signed out too: every session of the account has ended
            flash(text(messages.PASSWORD_RESET), "info")
            return go_full(url_for("signin.password"))
    elif form.is_submitted():
        error = first_error(form)
    return page("password/reset.html", status=422 if error else 200, form=form, error=error, email=link.user.email)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limit_posts
def change():
    """Change password: needs the current one; the account's other sessions end."""
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            browser = this_browser()
            accounts.change_password(current_app.extensions["password_hasher"], current_user, form.current.data,
                                     form.password.data, browser)
        except accounts.AccountError as refused:
            error = error_text(refused)
        else:
            keep_session(browser)
            flash(text(messages.PASSWORD_CHANGED), "info")
            return go(url_for("account.personal"))
    elif form.is_submitted():
        error = first_error(form)
    return page("password/change.html", status=422 if error else 200, form=form, error=error, tab="personal",
                user=current_user)
