"""Secrets the server must read back (an authenticator app's key), kept encrypted at rest.

AES-256-GCM with a key derived from SECRET_KEY by HKDF-SHA256, so one
SECRET_KEY stays all an operator manages, and a copy of the database alone
does not give the secrets away. Each sealed value is bound to where it is
stored (the "context", e.g. "totp:user:7") as associated data: a value copied
to another account's row does not open there.

Opening costs one AES-GCM decryption (microseconds): no key stretching is
needed, because the key is already a full-entropy 256-bit key, and the
AESGCM object is built once per process.
"""
import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"


class SealError(Exception):
    """The value was not sealed with this SECRET_KEY for this place (or was altered)."""


def derive_key(secret_key):
    """The 256-bit sealing key for `secret_key` (also a separate key from the passcode HMAC key)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"bestream sealed secrets v1").derive(secret_key.encode())


@functools.lru_cache(maxsize=4)
def _cipher(key):
    return AESGCM(key)


def seal(key, plaintext, context):
    """Encrypt `plaintext` (str) for the place named `context`; returns ASCII text for a TextField."""
    nonce = os.urandom(12)
    sealed = _cipher(key).encrypt(nonce, plaintext.encode(), context.encode())
    return VERSION + "." + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key, value, context):
    """The plaintext of a value `seal()` made for `context`, or SealError."""
    version, _, body = (value or "").partition(".")
    if version != VERSION:
        raise SealError()
    try:
        raw = base64.urlsafe_b64decode(body.encode())
        return _cipher(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
    except (InvalidTag, ValueError) as error:
        raise SealError() from error
