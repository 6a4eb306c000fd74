"""E-mail addresses: what sign-up answers, the confirmation link, and sending it again.

Sign-up answers everyone the same "check your e-mail" page; the details go
by e-mail (a confirmation link for a new account, a "someone tried to sign
up" notice for an existing one). The confirmation link works like the reset
link (views/password.py): its token moves from the URL into the session,
and a button confirms, so a mail scanner that opens links confirms nothing.
With EMAIL_VERIFICATION on, two-step set-up waits for a confirmed address.
"""
from flask import Blueprint, current_app, flash, request, session, url_for
from flask_login import current_user, login_required

import accounts
from accounts import link_mail
from views import messages
from views.forms import ButtonForm
from views.htmx import go, page
from views.i18n import error_text, locale, text
from views.limiter import limit_posts
from views.sessions import keep_link_token, link_in_session
from views.web import public_url, who

bp = Blueprint("email", __name__)

CONFIRM_TOKEN = "confirm_token"


def queue_confirmation(user, token):
    """Queue the confirmation link's e-mail (accounts.issue_link calls it in the link's transaction)."""
    link_mail.enqueue(user, "verify", current_app.config["SITE_NAME"],
                      public_url(url_for("email.confirm", token=token)), accounts.VERIFY_LINK_HOURS, locale())


def queue_welcome(user):
    """With EMAIL_VERIFICATION off: the new account's mail just says where to sign in."""
    link_mail.enqueue(user, "welcome", current_app.config["SITE_NAME"], public_url(url_for("signin.password")), 0,
                      locale())


def check_email_context(verification):
    """email/check_email.html's variables: whether the mail holds a confirmation link (EMAIL_VERIFICATION)."""
    return {"verification": verification}


def confirm_context(email=None, error=None):
    """email/confirm.html's variables, but its form, while the link lives: the address to confirm. A dead
    link (`email` None): no form, no address, and the rule's refusal if there was one."""
    return {"email": email, "error": error} if email else {"form": None, "email": None, "error": error}


def required_context(user):
    """email/required.html's variables: the user (their address) and the "Send the link again" button."""
    return {"user": user, "form": ButtonForm()}


@bp.get("/signup/sent")
def signup_sent():
    """After sign-up, for new and existing addresses alike: the details are in the mailbox."""
    return page("email/check_email.html", **check_email_context(current_app.config["EMAIL_VERIFICATION"]))


@bp.route("/email/confirm", methods=["GET", "POST"])
@limit_posts
def confirm():
    """The confirmation link: a page with a button that confirms the address."""
    moved = keep_link_token(CONFIRM_TOKEN)
    if moved:
        return moved
    token, link = link_in_session(CONFIRM_TOKEN, "verify")
    if link is None:
        return page("email/confirm.html", status=410 if request.method == "POST" else 200, **confirm_context())
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            accounts.confirm_email(token, **who())
        except accounts.AccountError as refused:
            return page("email/confirm.html", status=410, **confirm_context(error=error_text(refused)))
        session.pop(CONFIRM_TOKEN, None)
        flash(text(messages.EMAIL_CONFIRMED), "info")
        if current_user.is_authenticated and current_user.id == link.user_id:
            return go(url_for("account.personal"))
        return go(url_for("signin.password"))
    return page("email/confirm.html", form=form, **confirm_context(link.user.email))


@bp.get("/email/required")
@login_required
def required():
    """Two-step set-up waits for a confirmed address: this page says so and offers the link again."""
    if accounts.email_confirmed(current_user) or not current_app.config["EMAIL_VERIFICATION"]:
        return go(url_for("two_step.setup.phone"))
    return page("email/required.html", **required_context(current_user))


@bp.post("/email/resend")
@login_required
@limit_posts
def resend():
    """Send the confirmation link again (at most a few an hour; the page says the same either way)."""
    form = ButtonForm()
    if form.validate_on_submit():
        accounts.request_confirmation(current_user, mail=queue_confirmation)
        if not accounts.email_confirmed(current_user):
            flash(text(messages.CONFIRMATION_SENT), "info")
    return go(url_for("email.required"))
