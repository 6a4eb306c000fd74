"""WTForms classes: CSRF for every form, and field-level limits.

What a value means (a valid email, phone or code) is decided by the rules in
accounts/ and twostep/; these classes only carry the fields and refuse
empty or oversized input early with a clear message.

Labels and messages are lazy translations: the class is built once, the
text is looked up in the reader's language each time it is shown.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from core.phones import PHONE_NOT_A_NUMBER

TOO_LONG = _l("Enter at most %(max)d characters.")  # WTForms fills in max


class SignInForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class SignUpForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter your name.")), Length(max=100, message=TOO_LONG)])
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024, message=TOO_LONG)])


class EmailForm(FlaskForm):
    """Forgot password?: the address to send the link to."""

    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254, message=TOO_LONG)])


class NewPasswordForm(FlaskForm):
    """The reset link's page: the new password."""

    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")),
                                                             Length(max=1024, message=TOO_LONG)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password.")),
                                                                Length(max=1024, message=TOO_LONG)])
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password.")),
                                                             Length(max=1024, message=TOO_LONG)])


class PhoneForm(FlaskForm):
    phone = StringField(_l("Phone number"), validators=[DataRequired(_l("Enter your phone number.")),
                                                        Length(max=32, message=_l(PHONE_NOT_A_NUMBER))])


class PasscodeForm(FlaskForm):
    code = StringField(_l("6-digit passcode"), validators=[DataRequired(_l("Enter the 6-digit passcode.")),
                                                           Length(max=20, message=TOO_LONG)])


class AppCodeForm(FlaskForm):
    """The 6-digit code an authenticator app shows."""

    code = StringField(_l("6-digit code"), validators=[DataRequired(_l("Enter the 6-digit code your authenticator app shows.")),
                                                       Length(max=20, message=TOO_LONG)])


class PasskeyForm(FlaskForm):
    """A passkey's answer (the JSON static/js/passkeys.js puts in `credential`); what it means is the rules'."""

    credential = HiddenField()


class NewPasskeyForm(PasskeyForm):
    """Add a passkey: its name (twostep/passkeys.py `read_name` decides what a name may be), then the answer."""

    name = StringField(_l("Passkey name"), validators=[DataRequired(_l("Give the passkey a name.")),
                                                       Length(max=60, message=TOO_LONG)])


class RecoveryCodeForm(FlaskForm):
    code = StringField(_l("Recovery code"), validators=[DataRequired(_l("Enter your recovery code.")),
                                                        Length(max=40, message=TOO_LONG)])


class TickBox(BooleanField):
    """A checkbox that is ticked only by the value its own input sends ("y").

    WTForms' BooleanField reads any value but "" and "false" as ticked, so "0"
    or "no" would tick "I kept this number in a safe place" for a script.
    """

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] == "y"


class KeptForm(FlaskForm):
    kept = TickBox(_l("I kept this number in a safe place"))


class VoteForm(FlaskForm):
    """ "Was this article helpful?": the Yes / No button pressed sends helpful=yes|no."""

    helpful = StringField(_l("Was this article helpful?"),
                          validators=[DataRequired(_l("Choose Yes or No.")), AnyOf(("yes", "no"), _l("Choose Yes or No."))])


class TimeZoneForm(FlaskForm):
    # The choices (every IANA zone, and the site's) are set by views/account.py; an unknown one is refused there.
    time_zone = SelectField(_l("Time zone"), validate_choice=False)


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons like Resend and Off."""


def first_error(form):
    """The first validation message (in the reader's language), for a form re-rendered with errors."""
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return None
