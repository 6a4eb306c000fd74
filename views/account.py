"""The Account page and its tabs: Personal information (default) and Security activity."""
from flask import Blueprint, current_app
from flask_login import current_user, login_required

import accounts
from twostep import events
from twostep import signin as signin_rules
from views.forms import ButtonForm
from views.htmx import page
from views.i18n import detail, show_phone, text

bp = Blueprint("account", __name__, url_prefix="/account")


def two_step_summary(user):
    """What the Two-step verification section shows: state, masked number, Off-until date."""
    return {
        "state": signin_rules.effective_state(user),
        "masked_phone": show_phone(user.phone, masked=True),
        "off_until": signin_rules.off_until(user),
    }


@bp.get("")
@login_required
def personal():
    """Personal information: name, email and the Two-step verification section."""
    return page("account/personal.html", tab="personal", user=current_user,
                two_step=two_step_summary(current_user), button_form=ButtonForm(),
                email_unconfirmed=current_app.config["EMAIL_VERIFICATION"] and not accounts.email_confirmed(current_user))


@bp.get("/activity")
@login_required
def activity():
    """Security activity: what changed, when, from which browser and IP."""
    return page("account/activity.html", tab="activity", user=current_user,
                events=events.recent(current_user.id), labels=event_labels(), detail=event_detail)


def event_labels():
    """What each kind of event means, in the reader's language."""
    return {kind: text(label) for kind, label in events.LABELS.items()}


def event_detail(text):
    """An event's stored detail ('until 2026-12-05 13:00 UTC', 'to +81 ••••••••78') for this reader."""
    return detail(text)
