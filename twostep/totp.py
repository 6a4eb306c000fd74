"""Authenticator apps: time-based one-time codes (RFC 6238, the defaults every app supports).

SHA-1, 6 digits, 30-second steps, a window of one step either side for a
phone's clock that is a little off. The secret is 160 random bits, shown as
base32 (in groups of four, for typing) and in an otpauth:// QR code. It is
stored sealed (twostep/sealed.py). A code is accepted once: the account keeps
the last time step used, and only a later step is accepted after it.

The codes, secrets and otpauth:// URIs come from pyotp. The time step is
ours: pyotp reads a naive datetime as local time, and the rules' clock
(core/clock.py) gives naive UTC, so the step is counted here from the epoch.
The tests check the result against the RFC's vectors.
"""
import hmac

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted before and after the current one
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def new_secret():
    """160 random bits as base32 without padding (32 characters), as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def group(secret):
    """'ABCD EFGH …': the secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(moment):
    """The RFC 6238 counter for a naive UTC datetime."""
    seconds = (moment.toordinal() - _EPOCH_ORDINAL) * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    return seconds // STEP_SECONDS


def code_at(secret, step):
    """The code an app shows during time step `step` (RFC 4226 HOTP with the step as counter)."""
    return pyotp.HOTP(secret, digits=DIGITS).at(step)


def matching_step(secret, code, moment):
    """The time step within the window whose code is `code` (6 ASCII digits), or None.

    Every step of the window is compared, in constant time, whatever matched first.
    """
    current = time_step(moment)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def provisioning_uri(secret, account, issuer):
    """The otpauth:// URI apps read from the QR code (Google Authenticator's key-URI format)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_svg(uri, title):
    """The QR code of `uri` as an inline <svg> (no style attributes: allowed by the strict CSP)."""
    svg = segno.make(uri, error="m").svg_inline(scale=1, border=4, omitsize=True, title=title,
                                                dark="#000", light="#fff", svgclass="qr-code")
    # role=img makes the <title> its accessible name (screen readers say what it is).
    return svg.replace("<svg ", '<svg role="img" ', 1)
