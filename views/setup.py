"""The set-up wizard (help article STEP 2-6): phone, passcode, recovery code, confirmation.

One URL and one template per step. The set-up is a Challenge whose token is
in this browser's session; twostep/setup.py decides which step may open, and
`@wizard_step` sends a step opened too early to the first unfinished one.
"""
import functools

from flask import Blueprint, current_app, flash, session, url_for
from flask_login import current_user, login_required

import accounts
from core.phones import format_phone
from core.refusals import N_, Refused
from twostep import challenges
from twostep import setup as setup_rules
from views import messages
from views.forms import ButtonForm, KeptForm, PhoneForm
from views.htmx import form_page, go, page, refused
from views.i18n import locale, text
from views.limiter import limit_posts
from views.passcode_screen import check_passcode, passcode_screen
from views.passcode_screen import resend as resend_code
from views.sessions import keep_session, this_browser
from views.signin import new_recovery_code_context
from views.web import client_ip, policy, sender, who

bp = Blueprint("setup", __name__)

STEP_TITLES = (N_("Phone number"), N_("Passcode"), N_("Recovery code"), N_("Confirmation"))


def step_context(step, **context):
    """The progress bar's variables for `step`, in the reader's language, with the step's own."""
    return {"step_number": setup_rules.STEPS.index(step) + 1, "step_titles": [text(t) for t in STEP_TITLES],
            **context}


def wizard_step(step):
    """The wizard's gate (under @login_required): `step` opens only for an account without two-step
    verification and with a confirmed e-mail address (when EMAIL_VERIFICATION is on), once the steps
    before it are done; the view gets the set-up in progress as `challenge` (None before the phone step).

    Elsewhere it redirects: to the Account page when two-step verification is
    already set up, to the e-mail confirmation page, else to the first
    unfinished step. A confirmed number has nothing left to do at the passcode
    step (nor its Resend): on to the recovery code.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.two_step != "none":
                return go(url_for("account.personal"))
            if current_app.config["EMAIL_VERIFICATION"] and not accounts.email_confirmed(current_user):
                # No SMS for an address nobody has proved to own: closes a path for SMS pumping with
                # throwaway accounts.
                return go(url_for("email.required"))
            challenge = challenges.find_challenge(session.get("enrol"), "enrol", user_id=current_user.id)
            if step != "phone" and not setup_rules.may_open(challenge, step):
                return go(url_for(f"two_step.setup.{setup_rules.next_step(challenge)}"))
            if step == "passcode" and challenge.verified_at:
                return go(url_for("two_step.setup.recovery"))
            return view(challenge, *args, **kwargs)

        return wrapped

    return decorate


@bp.route("/phone", methods=["GET", "POST"])
@login_required
@limit_posts
@wizard_step("phone")
def phone(challenge):
    """STEP 3: enter the phone number and Continue; a 6-digit passcode is sent by SMS."""
    form = PhoneForm()
    if form.validate_on_submit():
        if challenge is None:
            challenge, session["enrol"] = setup_rules.begin(current_user)
        try:
            setup_rules.choose_phone(policy(), sender(), challenge, form.phone.data, ip=client_ip(), locale=locale())
        except Refused as error:
            return refused("setup/phone.html", error, form=form, **step_context("phone"))
        return go(url_for("two_step.setup.passcode"))
    if not form.is_submitted() and challenge is not None and challenge.phone:
        form.phone.data = format_phone(challenge.phone, policy().phone_region)  # "Edit" keeps the number
    return form_page("setup/phone.html", form, **step_context("phone"))


def passcode_context(challenge, now=None):
    """setup/passcode.html's variables, but its form."""
    return step_context("passcode", **passcode_screen(challenge, now))


@bp.route("/passcode", methods=["GET", "POST"])
@login_required
@limit_posts
@wizard_step("passcode")
def passcode(challenge):
    """STEP 4: enter the 6-digit passcode and Continue; Edit and Resend are here too."""
    return check_passcode("setup/passcode.html", lambda: passcode_context(challenge),
                          lambda code: challenges.verify_passcode(policy(), challenge, code, **who()),
                          lambda: go(url_for("two_step.setup.recovery")))


@bp.post("/resend")
@login_required
@limit_posts
@wizard_step("passcode")
def resend(challenge):
    """Resend: a new passcode to the same number; the old one stops working."""
    return resend_code(
        "setup/passcode.html", lambda: passcode_context(challenge),
        lambda: challenges.send_passcode(policy(), sender(), challenge, ip=client_ip(), locale=locale()),
        url_for("two_step.setup.passcode"))


def recovery_context(code=None):
    """setup/recovery.html's variables: the code shown once (None: it was shown already), and the form
    that shows a new one."""
    shown = new_recovery_code_context(code) if code else {"recovery_code": None, "site_name": policy().site_name}
    return step_context("recovery", form=ButtonForm(), **shown)


@bp.route("/recovery", methods=["GET", "POST"])
@login_required
@limit_posts
@wizard_step("recovery")
def recovery(challenge):
    """STEP 5: the recovery code, shown once, with Copy Code and a download.

    The first visit shows the code. Coming back shows that it was already
    shown; a POST ("Show a new code") replaces it with a new one.
    """
    code = None
    if challenge.recovery_shown_at is None or ButtonForm().validate_on_submit():
        code = setup_rules.issue_recovery_code(challenge)
    return page("setup/recovery.html", **recovery_context(code))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@limit_posts
@wizard_step("confirm")
def confirm(challenge):
    """STEP 6: tick "I kept this number in a safe place" and Continue; only now is it turned on."""
    form = KeptForm()
    if form.validate_on_submit():
        browser = this_browser()
        try:
            setup_rules.confirm(challenge, form.kept.data, browser)
        except Refused as error:
            return refused("setup/confirm.html", error, form=form, **step_context("confirm"))
        session.pop("enrol", None)
        keep_session(browser)
        flash(text(messages.TWO_STEP_ON), "info")
        return go(url_for("account.personal"))
    return form_page("setup/confirm.html", form, **step_context("confirm"))
