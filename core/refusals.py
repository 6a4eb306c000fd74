"""Message ids and `Refused`, the one base of everything a rule says no with.

The rules have no Flask inside, so they never translate. A refusal carries a
message id (the English text, the msgid of the translation catalog, marked
with N_ so `pybabel extract` finds it), its parameters and the HTTP status
that fits; the view layer translates it (views/i18n.py `error_text`).
`.message` is the English text, for logs, the CLI and tests. No refusal ever
carries a code, a token or a full phone number.
"""


def N_(text):
    """Mark `text` as a message id for the catalog; it is translated where it is shown."""
    return text


def N_plural(singular, plural):
    """Mark a message whose form depends on the count `num`: a (singular, plural) pair."""
    return singular, plural


SOMETHING_WRONG = N_("Something went wrong. Please try again.")


class Refused(Exception):
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
