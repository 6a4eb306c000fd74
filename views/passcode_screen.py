"""What every passcode screen shows and what its Resend does: set-up, sign-in, Enable and a new number."""
from flask import flash

from twostep import challenges
from core.refusals import Refused
from views import messages
from views.forms import ButtonForm, PasscodeForm
from views.htmx import go, page, refused
from views.i18n import show_phone, text
from views.web import policy


def passcode_screen(challenge, form=None):
    """The variables of templates/_passcode_fields.html for `challenge`."""
    return {
        "form": form or PasscodeForm(),
        "resend_form": ButtonForm(prefix="resend"),
        "masked_phone": show_phone(challenge.phone, masked=True),
        "expires_in": challenges.expires_in(policy(), challenge),
        "cooldown": challenges.cooldown_left(policy(), challenge),
    }


def resend(template, context, send, screen_url):
    """The Resend every passcode screen has: check the form, `send()` a new code, back to `screen_url`.

    `context()` gives the screen's variables when it must be shown again
    (a stale form, a cooldown, a cap, a provider failure).
    """
    if not ButtonForm(prefix="resend").validate_on_submit():
        return page(template, status=400, error=text(messages.RELOAD), **context())
    try:
        send()
    except Refused as error:
        return refused(template, error, **context())
    flash(text(messages.RESENT), "info")
    return go(screen_url)
