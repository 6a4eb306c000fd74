"""What the views themselves say (flashes and form errors), as catalog message ids.

Kept here, in English, so the views and the gallery (views/gallery.py) say
the same thing; each is translated where it is shown, with
views/i18n.py `text()`. The rules' own messages are in twostep/refusals.py
and accounts/.
"""
from core.refusals import N_

SIGNIN_WRONG = N_("The email or password is not right.")
REAUTH_WRONG = N_("That password is not right.")
SIGNED_OUT = N_("You have signed out.")
SIGNIN_EXPIRED = N_("Your sign-in has expired. Please enter your email and password again.")
STEP_EXPIRED = N_("That step has expired. Please start again.")
RELOAD = N_("Reload the page and try again.")
RESENT = N_("A new passcode has been sent.")
TWO_STEP_ON = N_("Two-step verification is on. Each time you sign in, you will be asked for a passcode.")
TWO_STEP_OFF = N_("Two-step verification is off.")
TWO_STEP_OFF_UNTIL = N_("Two-step verification is off until %(when)s.")
TWO_STEP_REMOVED = N_("Two-step verification has been removed.")
TWO_STEP_ON_AGAIN = N_("Two-step verification is on again.")
NUMBER_CHANGED = N_("Your phone number has been changed.")
PLEASE_SIGN_IN = N_("Please sign in to continue.")
THANKS_FOR_FEEDBACK = N_("Thank you for your feedback.")
PASSWORD_RESET = N_("Your password has been changed. Sign in with your new password.")
PASSWORD_CHANGED = N_("Your password has been changed. Your other sessions were signed out.")
EMAIL_CONFIRMED = N_("Your email address is confirmed.")
CONFIRMATION_SENT = N_("A new link is on its way to your address. Look in your inbox.")
NEW_PASSWORD_NEEDED = N_("An administrator reset your account: set a new password with the link you were sent, "
                         "or use \"Forgot password?\".")
TIME_ZONE_SAVED = N_("Your time zone has been saved.")
TIME_ZONE_UNKNOWN = N_("Choose a time zone from the list.")
SITE_TIME_ZONE = N_("The site's time zone (%(zone)s)")
TOTP_ADDED = N_("Authenticator app added. Sign-in will ask for its code; SMS and the recovery code still work.")
TOTP_REMOVED = N_("Authenticator app removed. Sign-in will use SMS again.")
QR_TITLE = N_("QR code of the key for your authenticator app")
PASSKEY_ADDED = N_("Passkey added. Sign-in will offer it; SMS and the recovery code still work.")
PASSKEY_REMOVED = N_("Passkey removed. It no longer completes a sign-in.")
