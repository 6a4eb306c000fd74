"""WTForms classes: CSRF for every form, and field-level limits.

What a value means (a valid email, phone or code) is decided by the rules in
accounts/ and twostep/; these classes only carry the fields and refuse
empty or oversized input early with a clear message.

Labels and messages are lazy translations: the class is built once, the
text is looked up in the reader's language each time it is shown.
"""
import copy

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length
from wtforms.widgets.core import clean_key

from core.phones import PHONE_NOT_A_NUMBER

TOO_LONG = _l("Enter at most %(max)d characters.")  # WTForms fills in max


def html_params(**kwargs):
    """WTForms' `html_params`, the same markup, without `Markup.format`.

    `Markup.format` runs Python's string formatter to escape each argument:
    about 6 µs an attribute, a tenth of a sign-in page's rendering
    (bench/README.md). The key is escaped and the value is escaped Markup here too
    (escape() already turns `"` into `&#34;`).
    """
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{escape(value)}"')
    return Markup(" ".join(params))


_FAST_WIDGETS = {}  # id(a WTForms widget) -> (that widget, its copy rendering with html_params above)


def _fast_widget(widget):
    if not hasattr(widget, "html_params"):
        return widget
    known = _FAST_WIDGETS.get(id(widget))
    if known is None or known[0] is not widget:
        fast = copy.copy(widget)
        fast.html_params = html_params  # the widgets call self.html_params(...)
        known = _FAST_WIDGETS[id(widget)] = (widget, fast)
    return known[1]


class Form(FlaskForm):
    """Every form here: Flask-WTF's (CSRF included), its fields rendered with the `html_params` above."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.widget = _fast_widget(field.widget)
            return field


class SignInForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class SignUpForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=100, message=TOO_LONG)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class PasswordForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class EmailForm(Form):
    """Forgot password?: the address to send the link to."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])


class NewPasswordForm(Form):
    """The reset link's page: the new password."""

    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")),
                                                             Length(max=1024, message=TOO_LONG)])


class ChangePasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password.")),
                                                                Length(max=1024, message=TOO_LONG)])
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")),
                                                             Length(max=1024, message=TOO_LONG)])


class PhoneForm(Form):
    phone = StringField(_l("Phone number"), validators=[DataRequired(_l("Enter your phone number.")),
                                                        Length(max=32, message=_l(PHONE_NOT_A_NUMBER))])


class PasscodeForm(Form):
    code = StringField(_l("6-digit passcode"), validators=[DataRequired(_l("Enter the 6-digit passcode.")),
                                                           Length(max=20, message=TOO_LONG)])


class AppCodeForm(Form):
    """The 6-digit code an authenticator app shows."""

    code = StringField(_l("6-digit code"), validators=[DataRequired(_l("Enter the 6-digit code your authenticator app shows.")),
                                                       Length(max=20, message=TOO_LONG)])


class PasskeyForm(Form):
    """A passkey's answer (the JSON static/js/passkeys.js puts in `credential`); what it means is the rules'."""

    credential = HiddenField()


class NewPasskeyForm(PasskeyForm):
    """Add a passkey: its name (twostep/passkeys.py `read_name` decides what a name may be), then the answer."""

    name = StringField(_l("Passkey name"), validators=[DataRequired(_l("Give the passkey a name.")),
                                                       Length(max=60, message=TOO_LONG)])


class RecoveryCodeForm(Form):
    code = StringField(_l("Recovery code"), validators=[DataRequired(_l("Enter your recovery code.")),
                                                        Length(max=40, message=TOO_LONG)])


class TickBox(BooleanField):
    """A checkbox that is ticked only by the value its own input sends ("y").

    WTForms' BooleanField reads any value but "" and "false" as ticked, so "0"
    or "no" would tick "I kept this number in a safe place" for a script.
    """

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] == "y"


class KeptForm(Form):
    kept = TickBox(_l("I kept this number in a safe place"))


class VoteForm(Form):
    """ "Was this article helpful?": the Yes / No button pressed sends helpful=yes|no."""

    helpful = StringField(_l("Was this article helpful?"),
                          validators=[DataRequired(_l("Choose Yes or No.")), AnyOf(("yes", "no"), _l("Choose Yes or No."))])


class TimeZoneForm(Form):
    # The choices (every IANA zone, and the site's) are set by views/account.py; an unknown one is refused there.
    time_zone = SelectField(_l("Time zone"), validate_choice=False)


class ButtonForm(Form):
    """A form with nothing but its CSRF token, for buttons like Resend and Off."""


def first_error(form):
    """The first validation message (in the reader's language), for a form re-rendered with errors."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return None
