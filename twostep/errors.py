"""What the rules refuse, as exceptions the views turn into messages.

Each carries a message id (English text, the msgid of the translation
catalog), its parameters and the HTTP status that fits. The rules have no
Flask inside, so they never translate: the view layer does, with
views/i18n.py `error_text(error)`. `.message` is the English text, for logs,
the CLI and tests. None of them ever carries a code, a token or a full phone
number.

Every message the rules can say is a constant below, marked with N_() so
`pybabel extract` (babel.cfg) puts it in the catalog.
"""


def N_(text):
    """Mark `text` as a message id for the catalog; it is translated where it is shown."""
    return text


def N_plural(singular, plural):
    """Mark a message whose form depends on the count `num`: a (singular, plural) pair."""
    return singular, plural


SOMETHING_WRONG = N_("Something went wrong. Please try again.")
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
# Phone numbers (twostep/phones.py)
PHONE_EMPTY = N_("Enter your phone number.")
PHONE_NOT_A_NUMBER = N_("That does not look like a phone number.")
PHONE_TOO_MANY_DIGITS = N_("That number has too many digits.")
PHONE_INVALID = N_("That phone number is not valid. Check the digits and the country code.")
PHONE_COUNTRY = N_("We cannot send SMS to numbers in that country.")
PHONE_NOT_MOBILE = N_("Enter a mobile phone number that can receive SMS.")
SAME_NUMBER = N_("That is already your number.")
# Recovery codes
WRONG_RECOVERY_CODE = N_("That recovery code is not right.")
RECOVERY_FORMAT = N_("Enter the 16-character recovery code, like ABCD-EFGH-JKMN-PQRS.")
RECOVERY_USED = N_("This recovery code has already been used.")
# The wizard and the switches
NOT_BOX_TICKED = N_("Tick \u201cI kept this number in a safe place\u201d to continue.")
FLOW_EXPIRED = N_("This step has expired. Please start again.")
ALREADY_SET_UP = N_("Two-step verification is already set up for this account.")
WRONG_STATE = N_("That is not possible in the current state of two-step verification.")


class TwoStepError(Exception):
    """A refusal: `msgid` (a string, or an N_plural pair chosen by the count `num`), `params`, `status`."""

    status = 422
    msgid = SOMETHING_WRONG

    def __init__(self, msgid=None, status=None, **params):
        if msgid is not None:
            self.msgid = msgid
        if status is not None:
            self.status = status
        self.params = params
        super().__init__(self.message)

    @property
    def message(self):
        """The English text (logs, CLI, tests); pages show error_text(error) instead."""
        text = self.msgid
        if isinstance(text, tuple):
            text = text[0] if self.params.get("num") == 1 else text[1]
        return text % self.params if self.params else text

    @property
    def details(self):
        return self.params


class PhoneRejected(TwoStepError):
    pass


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
