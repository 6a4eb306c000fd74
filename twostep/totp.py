"""Authenticator apps: time-based one-time codes (RFC 6238, the defaults every app supports).

SHA-1, 6 digits, 30-second steps, a window of one step either side for a
phone's clock that is a little off. The secret is 160 random bits, shown as
base32 (in groups of four, for typing) and in an otpauth:// QR code. It is
stored sealed (twostep/sealed.py). A code is accepted once: the account keeps
the last time step used, and only a later step is accepted after it.

Written out here (HOTP is a dozen lines of the standard library) rather than
taken from pyotp: the tests check it against pyotp and the RFC's vectors.
"""
import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

import segno

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted before and after the current one
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def new_secret():
    """160 random bits as base32 without padding (32 characters), as RFC 4226 recommends."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def group(secret):
    """'ABCD EFGH …': the secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(moment):
    """The RFC 6238 counter for a naive UTC datetime."""
    seconds = (moment.toordinal() - _EPOCH_ORDINAL) * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    return seconds // STEP_SECONDS


def code_at(secret, step):
    """The code an app shows during time step `step` (RFC 4226 HOTP with the step as counter)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10 ** DIGITS:0{DIGITS}d}"


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
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri, title):
    """The QR code of `uri` as an inline <svg> (no style attributes: allowed by the strict CSP)."""
    svg = segno.make(uri, error="m").svg_inline(scale=1, border=4, omitsize=True, title=title,
                                                dark="#000", light="#fff", svgclass="qr-code")
    # role=img makes the <title> its accessible name (screen readers say what it is).
    return svg.replace("<svg ", '<svg role="img" ', 1)
