"""What every passcode screen shows: set-up, sign-in, Enable and a new number share one template part."""
from twostep import challenges
from views.forms import ButtonForm, PasscodeForm
from views.i18n import show_phone
from views.web import policy


def passcode_screen(challenge, form=None):
    """The variables of templates/two_step/_passcode_fields.html for `challenge`."""
    return {
        "form": form or PasscodeForm(),
        "resend_form": ButtonForm(prefix="resend"),
        "masked_phone": show_phone(challenge.phone, masked=True),
        "expires_in": challenges.expires_in(policy(), challenge),
        "cooldown": challenges.cooldown_left(policy(), challenge),
    }
