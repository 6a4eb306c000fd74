"""What every passcode screen shows and what its Resend does: set-up, sign-in, Enable and a new number.

`passcode_screen()` is the one builder of templates/_passcode_fields.html's
variables; each area adds its own (the wizard's progress, the settings'
title) and the gallery calls the same builders.
"""
from flask import flash

from core.refusals import Refused
from twostep import challenges
from views import messages
from views.forms import ButtonForm, PasscodeForm
from views.htmx import form_page, go, page, refused
from views.i18n import show_phone, text
from views.web import policy


def passcode_screen(challenge, now=None, **extra):
    """The variables of _passcode_fields.html for `challenge` (its form aside), plus `extra`.

    The timers are counted at `now` (default: the clock's; the gallery passes its own).
    """
    return {
        "resend_form": ButtonForm(prefix="resend"),
        "masked_phone": show_phone(challenge.phone, masked=True),
        "expires_in": challenges.expires_in(policy(), challenge, now),
        "cooldown": challenges.cooldown_left(policy(), challenge, now),
        **extra,
    }


def check_passcode(template, context, verify, done):
    """A passcode screen's Continue: `verify(code)`, then `done()`; the screen again on a bad form or a refusal.

    `context()` gives the screen's variables (passcode_screen() and the area's own).
    """
    form = PasscodeForm()
    if form.validate_on_submit():
        try:
            verify(form.code.data)
        except Refused as error:
            return refused(template, error, form=form, **context())
        return done()
    return form_page(template, form, **context())


def resend(template, context, send, screen_url):
    """The Resend every passcode screen has: check the form, `send()` a new code, back to `screen_url`.

    `context()` gives the screen's variables when it must be shown again
    (a stale form, a cooldown, a cap, a provider failure).
    """
    if not ButtonForm(prefix="resend").validate_on_submit():
        return page(template, status=400, error=text(messages.RELOAD), form=PasscodeForm(), **context())
    try:
        send()
    except Refused as error:
        return refused(template, error, form=PasscodeForm(), **context())
    flash(text(messages.RESENT), "info")
    return go(screen_url)
