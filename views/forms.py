"""WTForms classes: CSRF for every form, and field-level limits.

What a value means (a valid email, phone or code) is decided by the rules in
accounts.py and twostep/; these classes only carry the fields and refuse
empty or oversized input early with a clear message.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=1024)])


class SignUpForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=100)])
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Choose a password."), Length(max=1024)])


class PasswordForm(FlaskForm):
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=1024)])


class PhoneForm(FlaskForm):
    phone = StringField("Phone number", validators=[DataRequired("Enter your phone number."),
                                                 Length(max=32, message="That does not look like a phone number.")])


class PasscodeForm(FlaskForm):
    code = StringField("6-digit passcode", validators=[DataRequired("Enter the 6-digit passcode."), Length(max=20)])


class RecoveryCodeForm(FlaskForm):
    code = StringField("Recovery code", validators=[DataRequired("Enter your recovery code."), Length(max=40)])


class KeptForm(FlaskForm):
    kept = BooleanField("I kept this number in a safe place")


class VoteForm(FlaskForm):
    """ "Was this article helpful?": the Yes / No button pressed sends helpful=yes|no."""

    helpful = StringField("Was this article helpful?",
                          validators=[DataRequired("Choose Yes or No."), AnyOf(("yes", "no"), "Choose Yes or No.")])


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons like Resend and Off."""


def first_error(form):
    """The first validation message, for a form re-rendered with errors."""
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return None
