"""What counts as one e-mail address: the sign-up rule and the SMTP mailer share this one definition."""
import re

# One address and nothing else: a dot-atom local part (no comma, quote, space, angle bracket,
# semicolon or colon, so it cannot be read as a list of addresses), and a domain of DNS labels.
ADDRESS_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def is_one_address(text):
    """True when `text` is exactly one plain e-mail address (no list, no display name), at most 254 characters."""
    return isinstance(text, str) and len(text) <= 254 and ADDRESS_RE.fullmatch(text) is not None
