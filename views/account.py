"""The Account page and its tabs: Personal information (default) and Security activity."""
from flask import Blueprint
from flask_login import current_user, login_required

from twostep import events
from twostep import signin as signin_rules
from twostep.phones import mask_phone
from views.forms import ButtonForm
from views.htmx import page

bp = Blueprint("account", __name__, url_prefix="/account")


def two_step_summary(user):
    """What the Two-step verification section shows: state, masked number, Off-until date."""
    return {
        "state": signin_rules.effective_state(user),
        "masked_phone": mask_phone(user.phone),
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
                events=events.recent(current_user.id), labels=events.LABELS)
