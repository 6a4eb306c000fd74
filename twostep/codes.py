"""How passcodes and recovery codes are made, read, hashed and compared.

Passcodes: 6 digits from `secrets`, stored as an HMAC keyed by the server and
bound to the verification they were sent for (checklist items 1-2, 5).
Recovery codes: 16 Crockford base32 characters (80 bits), shown in groups of
four, stored as an argon2 hash (items 16-17).
"""
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PASSCODE_RE = re.compile(r"[0-9]{6}")  # ASCII only: \d would accept other scripts' digits
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_LENGTH = 16
# Crockford decoding: letters people confuse with digits read as those digits.
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Replaced by use_hasher() when the app starts, so recovery codes cost what the
# operator set with ARGON2_* for passwords (a small host sets them lower).
_recovery_hasher = PasswordHasher()


def use_hasher(hasher):
    """Hash recovery codes from now on with `hasher` (accounts.make_hasher: the ARGON2_* settings).

    Codes hashed before keep their own costs, written in the hash: they still verify.
    """
    global _recovery_hasher
    _recovery_hasher = hasher


def new_passcode():
    return f"{secrets.randbelow(10**6):06d}"


def passcode_hash(key, challenge_id, code):
    """Keyed hash of `code` for one challenge: a code cannot be replayed on another."""
    message = f"{challenge_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def passcode_matches(key, challenge_id, code, stored_hash):
    return hmac.compare_digest(passcode_hash(key, challenge_id, code), stored_hash)


def read_passcode(raw):
    """The 6 digits typed, or None. Spaces and hyphens are allowed between digits."""
    cleaned = re.sub(r"[\s-]", "", raw or "")
    return cleaned if PASSCODE_RE.fullmatch(cleaned) else None


def new_recovery_code():
    return "".join(secrets.choice(CROCKFORD) for _ in range(RECOVERY_LENGTH))


def format_recovery_code(code):
    """'ABCD-EFGH-JKMN-PQRS': groups of four are easy to copy by hand."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def read_recovery_code(raw):
    """The canonical 16 characters typed, or None. Case, spaces and hyphens are forgiven."""
    cleaned = re.sub(r"[\s-]", "", raw or "").upper().translate(_CROCKFORD_ALIASES)
    if len(cleaned) != RECOVERY_LENGTH or any(c not in CROCKFORD for c in cleaned):
        return None
    return cleaned


def hash_recovery_code(code):
    return _recovery_hasher.hash(code)


def recovery_code_matches(stored_hash, code):
    if not stored_hash:
        return False
    try:
        return _recovery_hasher.verify(stored_hash, code)
    except (VerificationError, InvalidHashError):
        return False
