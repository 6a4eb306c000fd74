"""Accounts, passwords and signed-in sessions: the rules, without Flask.

Passwords are argon2id hashes (argon2-cffi), rehashed at sign-in when the
operator changes the cost settings. A signed-in browser is an AuthSession
row; the cookie only carries a random token naming it, so signing out or
revoking a row really ends that session (checklist item 24).
"""
import datetime
import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from peewee import SQL

from models import AuthSession, Prepared, User, db
from accounts import events
from core import clock
from core.tokens import new_token, token_digest
from core.refusals import N_, Refused
from core.translations import time_zones

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


# What the account rules can refuse, as catalog message ids (translated by the views).
EMAIL_EMPTY = N_("Enter your email address.")
EMAIL_INVALID = N_("Enter a valid email address, like name@example.com.")
NAME_EMPTY = N_("Enter your name.")
NAME_INVALID = N_("Your name must be at most 100 characters, without control characters.")
PASSWORD_TOO_SHORT = N_("Choose a password of at least %(num)d characters.")
PASSWORD_TOO_LONG = N_("Choose a password of at most %(num)d characters.")
EMAIL_TAKEN = N_("An account with this email already exists.")
NO_SUCH_ACCOUNT = N_("No account with the email %(email)s.")  # operator tools (cli.py)


class AccountError(Refused):
    """Input the account rules refuse (a `Refused`: message id and parameters, translated by the views;
    str() is the English text, for the CLI and logs)."""


def make_hasher(config):
    """argon2id with argon2-cffi's defaults, unless the operator set ARGON2_* costs."""
    options = {
        "time_cost": config.get("ARGON2_TIME_COST"),
        "memory_cost": config.get("ARGON2_MEMORY_COST"),
        "parallelism": config.get("ARGON2_PARALLELISM"),
    }
    return PasswordHasher(**{k: v for k, v in options.items() if v is not None})


def _has_control_characters(text):
    return any(unicodedata.category(c) == "Cc" for c in text)


def read_email(raw):
    email = (raw or "").strip().lower()
    if not email:
        raise AccountError(EMAIL_EMPTY)
    if len(email) > 254 or _has_control_characters(email) or not EMAIL_RE.fullmatch(email):
        raise AccountError(EMAIL_INVALID)
    return email


def read_name(raw):
    name = (raw or "").strip()
    if not name:
        raise AccountError(NAME_EMPTY)
    if len(name) > 100 or _has_control_characters(name):
        raise AccountError(NAME_INVALID)
    return name


def check_new_password(password):
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(PASSWORD_TOO_SHORT, num=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise AccountError(PASSWORD_TOO_LONG, num=MAX_PASSWORD)
    return password


def create_user(hasher, email, password, name, *, ip="", user_agent="", locale=None):
    """Create an account (`locale`: the language chosen with the switcher, or None); raise AccountError for bad input or a taken email."""
    email = read_email(email)
    name = read_name(name)
    check_new_password(password)
    password_hash = hasher.hash(password)
    with db.atomic():
        if User.select().where(User.email == email).exists():
            raise AccountError(EMAIL_TAKEN)
        user = User.create(email=email, name=name, password_hash=password_hash, created_at=clock.now(),
                           locale=locale)
        events.record(user.id, "signup", ip=ip, user_agent=user_agent)
    return user


# The queries every sign-in runs, built once (models.Prepared).
_USER_BY_EMAIL = Prepared(lambda p: User.select().where(User.email == p("email")).limit(SQL("1")))
_NEW_SESSION = Prepared(lambda p: AuthSession.insert(
    token_hash=p("token_hash"), user=p("user"), created_at=p("created_at"), password_at=p("password_at"),
    ip=p("ip"), user_agent=p("user_agent"), revoked_at=p("revoked_at")))
_LIVE_SESSION = Prepared(lambda p: (
    AuthSession.select(AuthSession, User).join(User)
    .where(AuthSession.token_hash == p("token_hash"), AuthSession.revoked_at.is_null(),
           User.disabled == p("disabled"), AuthSession.created_at > p("since"))
    .limit(SQL("1"))))
_END_SESSION = Prepared(lambda p: AuthSession.update(revoked_at=p("now")).where(
    AuthSession.token_hash == p("token_hash"), AuthSession.revoked_at.is_null()))
_EPOCH = datetime.datetime(1970, 1, 1)


class Authenticator:
    """Checks email and password in the same time whether or not the email exists (item 28)."""

    def __init__(self, hasher):
        self.hasher = hasher
        self._dummy_hash = hasher.hash(new_token())

    def authenticate(self, email, password):
        """The active user with this email and password, or None."""
        try:
            email = read_email(email)
        except AccountError:
            email = None
        user = _USER_BY_EMAIL.first(email=email) if email else None
        stored = user.password_hash if user else self._dummy_hash
        try:
            self.hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if user is None or user.disabled:
            return None
        if self.hasher.check_needs_rehash(stored):
            User.update(password_hash=self.hasher.hash(password)).where(User.id == user.id).execute()
        return user

    def check_password(self, user, password):
        try:
            return self.hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return False


def user_by_id(user_id):
    return User.get_by_id(user_id)


def set_locale(user_id, code):
    """Keep the language chosen with the switcher on the account (signed-in users)."""
    User.update(locale=code).where(User.id == user_id).execute()


def set_time_zone(user_id, name):
    """Save the user's time zone (None or "": the site's TIME_ZONE). False, and nothing saved, for an unknown name."""
    if name and name not in time_zones():
        return False
    with db.atomic():
        User.update(time_zone=name or None).where(User.id == user_id).execute()
    return True


def find_user(raw_email):
    """The account with this email; AccountError when the email is invalid or unknown (operator tools)."""
    email = read_email(raw_email)
    user = User.get_or_none(User.email == email)
    if user is None:
        raise AccountError(NO_SUCH_ACCOUNT, email=email)
    return user


def disable_user(user, *, actor=events.ADMINISTRATOR):
    """Disable an account and end all its sessions, in one transaction. False if it already was."""
    with db.atomic():
        changed = User.update(disabled=True).where(User.id == user.id, User.disabled == False).execute()  # noqa: E712
        AuthSession.update(revoked_at=clock.now()).where(
            AuthSession.user == user.id, AuthSession.revoked_at.is_null()).execute()
        if changed:
            events.record(user.id, "account_disabled", actor=actor)
    return bool(changed)


def start_session(user_id, *, ip="", user_agent=""):
    """A new signed-in session; returns the token for the browser's cookie."""
    token = new_token()
    now = clock.now()
    _NEW_SESSION.insert(token_hash=token_digest(token), user=user_id, created_at=now, password_at=now,
                        ip=(ip or "")[:45], user_agent=(user_agent or "")[:255], revoked_at=None)
    return token


def active_session(token, max_days=None):
    """The live AuthSession for a cookie's token, or None (also once it is `max_days` old)."""
    if not token:
        return None
    since = clock.now() - datetime.timedelta(days=max_days) if max_days else _EPOCH
    return _LIVE_SESSION.first(token_hash=token_digest(token), disabled=False, since=since)


def end_session(token):
    if token:
        _END_SESSION.execute(now=clock.now(), token_hash=token_digest(token))


def sign_out(token, user_id, *, ip="", user_agent=""):
    """End the session named by the cookie's `token` and record it for `user_id` (None: nobody signed in).

    One transaction, so one commit: the record and the end of the session are kept or lost together.
    """
    with db.atomic():
        if user_id is not None:
            events.record(user_id, "signout", ip=ip, user_agent=user_agent)
        end_session(token)


def revoke_other_sessions(user_id, keep_token):
    """End every session of the user except the one making the change."""
    return (AuthSession.update(revoked_at=clock.now())
            .where(AuthSession.user == user_id, AuthSession.revoked_at.is_null(),
                   AuthSession.token_hash != token_digest(keep_token or ""))
            .execute())


def rotate_session(token):
    """Give this browser's session a new token after a security change (checklist item 24).

    The row keeps its history (created, password time); only the token moves,
    so a copy of the cookie taken before the change is anonymous afterwards.
    """
    fresh = new_token()
    changed = (AuthSession.update(token_hash=token_digest(fresh))
               .where(AuthSession.token_hash == token_digest(token or ""), AuthSession.revoked_at.is_null())
               .execute())
    return fresh if changed else None


def password_confirmed(token):
    """Record that the user just typed their password in this session for a sensitive change (/reauth)."""
    now = clock.now()
    AuthSession.update(password_at=now, reauth_at=now).where(AuthSession.token_hash == token_digest(token)).execute()


def second_factor_confirmed(token):
    """Record that this session just confirmed a passcode or the recovery code for a sensitive change."""
    AuthSession.update(second_factor_at=clock.now()).where(AuthSession.token_hash == token_digest(token)).execute()


def end_step_up(token):
    """A sensitive change was made: the next one needs the password and a code again."""
    AuthSession.update(reauth_at=None, second_factor_at=None).where(
        AuthSession.token_hash == token_digest(token or "")).execute()


def _fresh(moment, minutes):
    return moment is not None and moment >= clock.now() - datetime.timedelta(minutes=minutes)


def recently_authenticated(auth_session, minutes):
    """The password was typed on /reauth within `minutes` (signing in does not count)."""
    return auth_session is not None and _fresh(auth_session.reauth_at, minutes)


def second_factor_recent(auth_session, minutes):
    """A passcode or the recovery code was confirmed in this session within `minutes`."""
    return auth_session is not None and _fresh(auth_session.second_factor_at, minutes)
