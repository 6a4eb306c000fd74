"""Account → Two-step verification → Authenticator app: add one (QR code, first code) or remove it.

Like every other change to two-step verification, both need a recent
re-authentication (`recent_password_or_prompt`, the same check Off and
Unsubscribe use), are recorded in Security activity and e-mailed, and end the
account's other sessions. The rules are in twostep/authenticator.py.
"""
from flask import Blueprint, flash, session, url_for
from flask_login import current_user, login_required

from twostep import authenticator, challenges, totp
from twostep.errors import TwoStepError
from twostep.sealed import SealError
from views import messages
from views.auth import recent_password_or_prompt
from views.forms import AppCodeForm, ButtonForm, first_error
from views.htmx import go, page
from views.i18n import error_text, text
from views.limiter import limit_posts
from views.settings import _done
from views.web import policy, refused, who

bp = Blueprint("authenticator", __name__, url_prefix="/two-step/authenticator")


def _setup():
    """(challenge, secret) of the set-up this browser started, or a new one.

    Reloading the page keeps the same secret: the app may already have scanned it.
    """
    challenge = challenges.find_challenge(session.get("totp"), "totp", user_id=current_user.id,
                                          max_age_minutes=policy().reauth_minutes)
    if challenge is not None:
        try:
            return challenge, authenticator.pending_secret(policy(), challenge)
        except SealError:  # sealed under an earlier SECRET_KEY: start again
            pass
    challenge, session["totp"], secret = authenticator.begin_setup(policy(), current_user)
    return challenge, secret


def _setup_context(secret, form=None):
    site = policy().site_name
    uri = totp.provisioning_uri(secret, current_user.email, site)
    return {"form": form or AppCodeForm(), "grouped_secret": totp.group(secret),
            "qr_svg": totp.qr_svg(uri, text(messages.QR_TITLE)), "site_name": site}


@bp.route("", methods=["GET", "POST"])
@login_required
@limit_posts
def setup():
    """Add an authenticator app: scan the QR code (or type the key), then enter its first code."""
    prompt = recent_password_or_prompt()
    if prompt:
        return prompt
    try:
        challenge, secret = _setup()
    except TwoStepError as error:
        flash(error_text(error), "error")
        return go(url_for("account.personal"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            authenticator.finish_setup(policy(), challenge, form.code.data, **who())
        except TwoStepError as error:
            if challenges.find_challenge(session.get("totp"), "totp", user_id=current_user.id) is None:
                # Too many wrong codes: this key is void; a new one is shown.
                session.pop("totp", None)
                challenge, secret = _setup()
            return refused("settings/authenticator.html", error, **_setup_context(secret, form))
        session.pop("totp", None)
        return _done(text(messages.TOTP_ADDED))
    error = first_error(form) if form.is_submitted() else None
    return page("settings/authenticator.html", status=422 if error else 200, error=error,
                **_setup_context(secret, form))


@bp.route("/remove", methods=["GET", "POST"])
@login_required
def remove():
    """Remove the authenticator app (SMS and the recovery code stay)."""
    prompt = recent_password_or_prompt()
    if prompt:
        return prompt
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            authenticator.remove(current_user, **who())
        except TwoStepError as error:
            return refused("settings/authenticator_remove.html", error, form=form)
        return _done(text(messages.TOTP_REMOVED))
    return page("settings/authenticator_remove.html", form=form, error=None)
