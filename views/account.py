"""The account: sign up, the Dashboard (help article STEP 1), the Account page and its tabs
(Personal information, Security activity), and confirming the password before a sensitive change.
"""
from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

import accounts
from accounts import events
from core.refusals import Refused
from core.translations import zone_choices, zone_name
from twostep import passkeys as passkey_rules
from twostep import signin as signin_rules
from views import messages
from views.email import queue_confirmation, queue_welcome
from views.forms import ButtonForm, PasswordForm, SignUpForm, TimeZoneForm
from views.htmx import form_page, go, page, refused
from views.i18n import chosen_locale, details, locale, show_phone, text
from views.limiter import limit_posts, limit_signups
from views.web import policy, safe_next, who

bp = Blueprint("account", __name__)


@bp.get("/")
def index():
    """Send visitors to the Dashboard or to sign-in."""
    return redirect(url_for("account.dashboard" if current_user.is_authenticated else "signin.password"))


@bp.get("/dashboard")
@login_required
def dashboard():
    """The Dashboard, with its link to the Account page."""
    return page("account/dashboard.html")


@bp.route("/signup", methods=["GET", "POST"])
@limit_posts
@limit_signups
def signup():
    """Create an account (switched off with ALLOW_SIGNUP=0).

    New and already registered addresses get the same answer, the "check your
    e-mail" page, and nobody is signed in; what happened is said by e-mail to
    the address's owner (a confirmation link, or a notice that someone tried
    to sign up). docs/accounts.md has why.
    """
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    form = SignUpForm()
    if form.validate_on_submit():
        verification = current_app.config["EMAIL_VERIFICATION"]
        try:
            outcome = accounts.sign_up(current_app.extensions["password_hasher"], form.email.data,
                                       form.password.data, form.name.data, locale=chosen_locale(),
                                       verification=verification, mail=queue_confirmation, **who())
        except Refused as error:
            return refused("account/signup.html", error, form=form)
        if outcome.created and not verification:
            queue_welcome(outcome.user)
        # (the confirmation link was queued with the link; an existing account's owner is mailed
        # by the "signup_attempt" security notice)
        return go(url_for("email.signup_sent"))
    return form_page("account/signup.html", form)


def time_zone_form(user):
    """The Account page's time zone choice: the site's zone (saved as none), then every IANA zone."""
    form = TimeZoneForm()
    site_zone = current_app.config["TIME_ZONE"]
    form.time_zone.choices = [("", text(messages.SITE_TIME_ZONE, zone=zone_name(site_zone, locale())))] + \
        zone_choices(locale())
    if not form.is_submitted():
        form.time_zone.data = user.time_zone or ""
    return form


def personal_context(user, tz_form=None, tz_error=None, passkeys=None):
    """account/personal.html's variables: the Two-step verification section (state, masked number,
    Off-until date, authenticator app, passkeys), the time zone choice, and whether the e-mail awaits
    confirmation. `passkeys`: the account's (name, created_at, last_used_at, id), else read."""
    state = signin_rules.effective_state(user)
    if passkeys is None:
        passkeys = passkey_rules.of_user(user.id) if state != "none" else []
    return {
        "tab": "personal",
        "user": user,
        "two_step": {
            "state": state,
            "masked_phone": show_phone(user.phone, masked=True),
            "off_until": signin_rules.off_until(user),
            # The authenticator app beside SMS: None, or when it was added.
            "app_added": user.totp_added_at if getattr(user, "totp_secret", None) else None,
            "passkeys": passkeys,
        },
        "button_form": ButtonForm(),
        "tz_form": tz_form or time_zone_form(user),
        "tz_error": tz_error,
        # The zone this user's times are shown in (for the signed-in reader, views/i18n.py `time_zone()`).
        "time_zone": zone_name(user.time_zone or current_app.config.get("TIME_ZONE") or "UTC", locale()),
        "email_unconfirmed": current_app.config["EMAIL_VERIFICATION"] and not accounts.email_confirmed(user),
    }


@bp.get("/account")
@login_required
def personal():
    """Personal information: name, email, time zone and the Two-step verification section."""
    return page("account/personal.html", **personal_context(current_user))


@bp.post("/account/time-zone")
@login_required
def choose_time_zone():
    """Save the time zone the user's pages and e-mails show times in (empty: the site's TIME_ZONE)."""
    form = time_zone_form(current_user)
    if not form.validate_on_submit():
        return page("account/personal.html", status=400,
                    **personal_context(current_user, tz_form=form, tz_error=text(messages.RELOAD)))
    if not accounts.set_time_zone(current_user.id, form.time_zone.data):
        return page("account/personal.html", status=422,
                    **personal_context(current_user, tz_form=form, tz_error=text(messages.TIME_ZONE_UNKNOWN)))
    flash(text(messages.TIME_ZONE_SAVED), "info")
    return go(url_for("account.personal"))


def activity_context(user, recent):
    """account/activity.html's variables: the events, what each kind means and its details, in the reader's
    language."""
    return {"tab": "activity", "user": user, "events": recent,
            "labels": {kind: text(label) for kind, label in events.LABELS.items()}, "details": details}


@bp.get("/account/activity")
@login_required
def activity():
    """Security activity: what changed, when, from which browser and IP."""
    return page("account/activity.html", **activity_context(current_user, events.recent(current_user.id)))


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limit_posts
def reauth():
    """Ask for the password again before a sensitive change (Off, Enable, Unsubscribe, a new number or code)."""
    form = PasswordForm()
    target = safe_next(request.values.get("next"), url_for("account.personal"))
    if form.validate_on_submit():
        try:
            right = current_app.extensions["authenticator"].check_password(current_user, form.password.data,
                                                                           policy=policy())
        except accounts.PasswordThrottled as throttled:
            return refused("account/reauth.html", throttled, form=form, next=target)
        if right:
            accounts.password_confirmed(session.get("sid"))
            return go(target)
        # A wrong password from a signed-in browser may be a stolen session guessing: on the record.
        accounts.reauth_failed(current_user.id, **who())
        return page("account/reauth.html", status=422, form=form, error=text(messages.REAUTH_WRONG), next=target)
    return form_page("account/reauth.html", form, next=target)
