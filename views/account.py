"""The Account page and its tabs: Personal information (default) and Security activity."""
import datetime
import re

from flask import Blueprint
from flask_login import current_user, login_required

from twostep import events
from twostep import signin as signin_rules
from twostep.errors import N_
from views.forms import ButtonForm
from views.htmx import page
from views.i18n import show_phone, text, when

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
                two_step=two_step_summary(current_user), button_form=ButtonForm())


@bp.get("/activity")
@login_required
def activity():
    """Security activity: what changed, when, from which browser and IP."""
    return page("account/activity.html", tab="activity", user=current_user,
                events=events.recent(current_user.id), labels=event_labels(), detail=event_detail)


def event_labels():
    """What each kind of event means, in the reader's language."""
    return {kind: text(label) for kind, label in events.LABELS.items()}


# Event details are stored in English for the operator's logs and CLI; the
# known shapes are shown in the reader's language, anything else as stored.
_UNTIL = re.compile(r"until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")
_TO = re.compile(r"to (\+?[0-9 •]+)")
UNTIL = N_("until %(when)s (UTC)")
TO = N_("to %(phone)s")


def event_detail(detail):
    """An event's detail ('until 2026-12-05 13:00 UTC', 'to +81 ••••••••78') for this reader."""
    match = _UNTIL.fullmatch(detail or "")
    if match:
        return text(UNTIL, when=when(datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M")))
    match = _TO.fullmatch(detail or "")
    if match:
        return text(TO, phone=match.group(1))
    return detail
