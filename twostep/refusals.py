"""What the two-step rules refuse: their messages and the refusals that carry them.

Each is a `Refused` (core/refusals.py): a message id, its parameters and the
HTTP status that fits, translated by the view layer. Every message the rules
can say is a constant below, marked with N_() so `pybabel extract` puts it in
the catalog.
"""
from core.refusals import N_, N_plural, Refused

# Passcodes
CODE_FORMAT = N_("Enter the 6-digit passcode.")
WRONG_CODE = N_plural("That passcode is not right. %(num)d try left before it stops working.",
                       "That passcode is not right. %(num)d tries left before it stops working.")
CODE_EXPIRED = N_("This passcode has expired. Click \u201cResend\u201d to request a new code.")
CODE_VOIDED = N_("This passcode no longer works. Click \u201cResend\u201d to request a new code.")
CODE_WRONG_AND_VOIDED = N_("That passcode is not right, and it no longer works. "
                           "Click \u201cResend\u201d to request a new code.")
LOCKED = N_plural("Too many wrong codes. Two-step verification is locked for %(num)d more minute.",
                   "Too many wrong codes. Two-step verification is locked for %(num)d more minutes.")
LOCKED_UNTIL_RECOVERY = N_("Too many wrong passcodes: passcodes are locked until the recovery code is used. "
                           "Click \u201cTry another method\u201d to sign in with your recovery code.")
TOO_MANY_TRIES = N_("Too many wrong codes for this sign-in. Please start again.")
COOLDOWN = N_plural("A passcode was just sent. You can resend in %(num)d second.",
                     "A passcode was just sent. You can resend in %(num)d seconds.")
SEND_FAILED = N_("We could not send the SMS. Please try again in a moment.")
# SMS caps (twostep/limits.py)
CAP_SITE_DAY = N_("This site has sent as many SMS as it may today. Please try again later.")
CAP_ACCOUNT_HOUR = N_("You have asked for too many passcodes. Please try again later.")
CAP_ACCOUNT_DAY = N_("You have asked for too many passcodes today. Please try again later.")
CAP_NUMBER_HOUR = N_("Too many passcodes were sent to this number. Please try again later.")
CAP_NUMBER_DAY = N_("Too many passcodes were sent to this number today. Please try again later.")
CAP_IP_DAY = N_("Too many passcodes were requested from your network today. Please try again later.")
CAP_NEW_NUMBERS = N_("You have tried too many different numbers today. Please try again later.")
# A new number
SAME_NUMBER = N_("That is already your number.")
# Recovery codes
WRONG_RECOVERY_CODE = N_("That recovery code is not right.")
RECOVERY_FORMAT = N_("Enter the 16-character recovery code, like ABCD-EFGH-JKMN-PQRS.")
RECOVERY_USED = N_("This recovery code has already been used.")
# Authenticator apps (twostep/authenticator.py)
TOTP_FORMAT = N_("Enter the 6-digit code your authenticator app shows.")
TOTP_WRONG = N_("That code is not right. Enter the code your authenticator app shows now.")
TOTP_USED = N_("That code was already used. Wait for the next code in your app, then enter it.")
TOTP_SETUP_WRONG = N_("That code is not right. Check that the time on your phone is set automatically, "
                      "then enter the code your app shows now.")
TOTP_ALREADY = N_("An authenticator app is already set up for this account.")
TOTP_NONE = N_("This account has no authenticator app.")
TOTP_UNREADABLE = N_("Your authenticator app cannot be used right now. Choose \u201cTry another method\u201d.")
TOTP_NEEDS_TWO_STEP = N_("Set up two-step verification with your phone number first.")
# Passkeys (twostep/passkeys.py)
PASSKEY_NAME = N_("Give the passkey a name of up to 60 characters, for example \u201cMy phone\u201d.")
PASSKEY_MISSING = N_("Your browser did not send a passkey. Use a browser that supports passkeys, "
                     "or choose another method.")
PASSKEY_NOT_ACCEPTED = N_("That passkey was not accepted. Try again, or choose \u201cTry another method\u201d.")
PASSKEY_EXPIRED = N_("This passkey request has expired. Please try again.")
PASSKEY_ALREADY = N_("This passkey is already added.")
PASSKEY_NONE = N_("That passkey is not on this account.")
PASSKEY_TOO_MANY = N_("An account can have at most %(num)d passkeys. Remove one first.")
# The wizard and the switches
NOT_BOX_TICKED = N_("Tick \u201cI kept this number in a safe place\u201d to continue.")
FLOW_EXPIRED = N_("This step has expired. Please start again.")
ALREADY_SET_UP = N_("Two-step verification is already set up for this account.")
WRONG_STATE = N_("That is not possible in the current state of two-step verification.")


class TwoStepError(Refused):
    """A refusal of the two-step rules (see core/refusals.py for what it carries)."""


class CodeFormat(TwoStepError):
    msgid = CODE_FORMAT


class WrongCode(TwoStepError):
    msgid = WRONG_CODE

    def __init__(self, attempts_left):
        super().__init__(num=attempts_left)
        self.attempts_left = attempts_left


class CodeExpired(TwoStepError):
    msgid = CODE_EXPIRED


class CodeVoided(TwoStepError):
    msgid = CODE_VOIDED


class WrongRecoveryCode(TwoStepError):
    msgid = WRONG_RECOVERY_CODE


class Locked(TwoStepError):
    status = 429
    msgid = LOCKED

    def __init__(self, retry_after, msgid=None):
        super().__init__(msgid, num=max(1, (retry_after + 59) // 60))
        self.retry_after = retry_after


class TooManyTries(TwoStepError):
    """One pending verification had all its tries; it is over (the account is not locked)."""

    status = 429
    msgid = TOO_MANY_TRIES


class Cooldown(TwoStepError):
    status = 429
    msgid = COOLDOWN

    def __init__(self, retry_after):
        super().__init__(num=retry_after)
        self.retry_after = retry_after


class SmsCapReached(TwoStepError):
    status = 429

    def __init__(self, retry_after, msgid):
        super().__init__(msgid)
        self.retry_after = retry_after


class SendFailed(TwoStepError):
    status = 502
    msgid = SEND_FAILED


class NotBoxTicked(TwoStepError):
    msgid = NOT_BOX_TICKED


class FlowExpired(TwoStepError):
    status = 409
    msgid = FLOW_EXPIRED
