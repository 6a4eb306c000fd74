"""Accounts, passwords and signed-in sessions: the rules, without Flask.

Passwords are argon2id hashes (argon2-cffi), rehashed at sign-in when the
operator changes the cost settings. A signed-in browser is an AuthSession
row; the cookie only carries a random token naming it, so signing out or
revoking a row really ends that session (docs/security.md, "Sessions").
"""
import contextlib
import dataclasses
import datetime
import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import SQL

from accounts import events
from core import clock
from core.refusals import N_, Refused
from core.tokens import new_token, token_digest
from core.translations import time_zones
from models import AuthSession, Prepared, User, db

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


@dataclasses.dataclass
class Browser:
    """The browser a change comes from: its address and User-Agent (for the security record) and
    the token of its signed-in session (None before sign-in).

    A rule that signs the browser in, or ends the account's other sessions, gives this browser a
    new token in the same transaction and puts it in `session_token`; the view then stores it in
    the cookie. The token is never logged.
    """

    ip: str = ""
    user_agent: str = ""
    session_token: str | None = dataclasses.field(default=None, repr=False)


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


def create_user(hasher, email, password, name, *, browser=None, locale=None):
    """Create an account; raise AccountError for bad input or a taken email.

    `locale` is the language chosen with the switcher, or None. With a
    `browser`, that browser is signed in to the new account in the same
    transaction (its new token in `browser.session_token`).
    """
    email = read_email(email)
    name = read_name(name)
    check_new_password(password)
    password_hash = hasher.hash(password)
    with db.atomic():
        if User.select().where(User.email == email).exists():
            raise AccountError(EMAIL_TAKEN)
        user = User.create(email=email, name=name, password_hash=password_hash, created_at=clock.now(),
                           locale=locale)
        events.record(user.id, "signup", ip=browser.ip if browser else "",
                      user_agent=browser.user_agent if browser else "")
        if browser is not None:
            start_session(user.id, browser)
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
    """Checks email and password in the same time whether or not the email exists."""

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


def start_session(user_id, browser):
    """Sign `browser` in to the account: a new session row, and the token for its cookie in
    `browser.session_token`. The session it held before (signed in as someone else) ends."""
    token = new_token()
    now = clock.now()
    with _one_transaction():
        end_session(browser.session_token)
        _NEW_SESSION.insert(token_hash=token_digest(token), user=user_id, created_at=now, password_at=now,
                            ip=(browser.ip or "")[:45], user_agent=(browser.user_agent or "")[:255], revoked_at=None)
    browser.session_token = token
    return token


def _one_transaction():
    """A transaction, or none inside the caller's: that one already makes these writes atomic, and a
    savepoint would cost a round trip on every sign-in."""
    return contextlib.nullcontext() if db.in_transaction() else db.atomic()


def sign_in(user, browser):
    """After the last step of sign-in: the session and its "signin" event, in one transaction."""
    with _one_transaction():
        start_session(user.id, browser)
        events.record(user.id, "signin", ip=browser.ip, user_agent=browser.user_agent)
    return user


def active_session(token, max_days=None):
    """The live AuthSession for a cookie's token, or None (also once it is `max_days` old)."""
    if not token:
        return None
    since = clock.now() - datetime.timedelta(days=max_days) if max_days else _EPOCH
    return _LIVE_SESSION.first(token_hash=token_digest(token), disabled=False, since=since)


def end_session(token):
    """Sign out the session with this token (nothing when there is none)."""
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


def end_other_sessions(user_id, browser, *, step_up_used=False):
    """After a security change, inside its transaction: end every other session of the account, and
    give this browser's session a new token (in `browser.session_token`).

    Other browsers are signed out at once; a copy of this browser's cookie taken
    before the change is anonymous afterwards. The row keeps its history
    (created, password time): only the token moves. With `step_up_used`, the
    change used this session's step-up up: the next one asks again. Returns
    how many sessions ended.
    """
    if step_up_used:
        end_step_up(browser.session_token)
    keep = token_digest(browser.session_token or "")
    ended = (AuthSession.update(revoked_at=clock.now())
             .where(AuthSession.user == user_id, AuthSession.revoked_at.is_null(), AuthSession.token_hash != keep)
             .execute())
    fresh = new_token()
    if (AuthSession.update(token_hash=token_digest(fresh))
            .where(AuthSession.token_hash == keep, AuthSession.revoked_at.is_null()).execute()):
        browser.session_token = fresh
    return ended


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
