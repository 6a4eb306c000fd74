"""Random tokens a browser holds (sessions, verifications), and the digest the database keeps of them.

The database never stores a token itself: a copy of its rows cannot be
replayed as a cookie.
"""
import hashlib
import secrets


def new_token():
    return secrets.token_urlsafe(32)


def token_digest(token):
    """What the database keeps of a browser-held token (sessions, challenges)."""
    return hashlib.sha256(token.encode()).hexdigest()
