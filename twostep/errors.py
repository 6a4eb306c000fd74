"""What the rules refuse, as exceptions the views turn into messages.

Each carries a message a user can act on and the HTTP status that fits.
None of them ever carries a code, a token or a full phone number.
"""


class TwoStepError(Exception):
    status = 422
    message = "Something went wrong. Please try again."

    def __init__(self, message=None, status=None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        if status is not None:
            self.status = status
        self.details = details


class PhoneRejected(TwoStepError):
    pass


class CodeFormat(TwoStepError):
    message = "Enter the 6-digit passcode."


class WrongCode(TwoStepError):
    message = "That passcode is not right."

    def __init__(self, attempts_left):
        super().__init__(
            f"That passcode is not right. {attempts_left} "
            f"{'try' if attempts_left == 1 else 'tries'} left before it stops working.",
            attempts_left=attempts_left,
        )


class CodeExpired(TwoStepError):
    message = "This passcode has expired. Click \u201cResend\u201d to request a new code."


class CodeVoided(TwoStepError):
    message = "This passcode no longer works. Click \u201cResend\u201d to request a new code."


class WrongRecoveryCode(TwoStepError):
    message = "That recovery code is not right."


class Locked(TwoStepError):
    status = 429

    def __init__(self, retry_after):
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"Too many wrong codes. Two-step verification is locked for {minutes} more minute"
            f"{'' if minutes == 1 else 's'}.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class Cooldown(TwoStepError):
    status = 429

    def __init__(self, retry_after):
        super().__init__(
            f"A passcode was just sent. You can resend in {retry_after} seconds.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class SmsCapReached(TwoStepError):
    status = 429

    def __init__(self, retry_after, why):
        super().__init__(f"{why} Please try again later.", retry_after=retry_after)
        self.retry_after = retry_after


class SendFailed(TwoStepError):
    status = 502
    message = "We could not send the SMS. Please try again in a moment."


class NotBoxTicked(TwoStepError):
    message = "Tick \u201cI kept this number in a safe place\u201d to continue."


class FlowExpired(TwoStepError):
    status = 409
    message = "This step has expired. Please start again."
