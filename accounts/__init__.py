"""Accounts, passwords and signed-in sessions: the rules, without Flask.

Passwords are argon2id hashes (argon2-cffi), rehashed at sign-in when the
operator changes the cost settings. A signed-in browser is an AuthSession
row; the cookie only carries a random token naming it, so signing out or
revoking a row really ends that session (docs/security.md, "Sessions").

One-time links (password reset, e-mail confirmation) are AccountToken rows:
a random token goes into the e-mail, only its SHA-256 digest is stored, it
works once and until it expires, and a reset link made before the password
last changed is dead, whichever way the password changed (docs/accounts.md).
"""
import collections
import contextlib
import dataclasses
import datetime
import logging
import hashlib
import hmac
import json
import unicodedata

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import SQL, IntegrityError, fn

from accounts import events, link_mail
from core import clock
from core.addresses import is_one_address  # the one definition of an address the app will mail
from core.refusals import N_, N_plural, Refused
from core.tokens import new_token, token_digest
from core.translations import time_zones
from mail import queue as mail_queue
from models import AccountToken, AuthSession, Challenge, PasswordThrottle, Prepared, SecurityEvent, User, db, is_sqlite

log = logging.getLogger(__name__)

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
CURRENT_PASSWORD_WRONG = N_("Your current password is not right.")
PASSWORD_UNCHANGED = N_("Choose a password different from your current one.")
LINK_INVALID = N_("This link has expired or has already been used. Ask for a new one.")

# How long a one-time link works. A reset link: 30 minutes (PASSWORD_RESET_MINUTES); the link an
# administrator reset sends or prints: a day, so the operator can pass it on.
VERIFY_LINK_HOURS = 24
ADMIN_LINK_HOURS = 24
# At most this many links of one kind mailed to one account per hour, counting only links that still
# work: a form that mails must not become a way to flood someone's mailbox, and a flood must not leave
# the owner without a working link. Reset links live 30 minutes, so someone asking for three on the hour
# would otherwise leave the owner only dead links from :30 to :60; counting live ones, the owner always
# has up to three working links when a request is not mailed (at most 6 reset mails an hour).
LINKS_PER_HOUR = 3


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
    # Exactly one plain address: "root,postmaster,attacker@evil.test" would be a list to a mail server.
    if len(email) > 254 or _has_control_characters(email) or not is_one_address(email):
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


def create_user(hasher, email, password, name, *, ip="", user_agent="", locale=None, verified=False):
    """Create an account (`locale`: the language chosen with the switcher, or None); raise AccountError for bad input or a taken email.

    `verified`: the e-mail address is taken as confirmed (accounts an operator makes with the CLI).
    """
    email = read_email(email)
    name = read_name(name)
    check_new_password(password)
    password_hash = hasher.hash(password)
    now = clock.now()
    with db.atomic():
        if User.select().where(User.email == email).exists():
            raise AccountError(EMAIL_TAKEN)
        user = User.create(email=email, name=name, password_hash=password_hash, created_at=now,
                           locale=locale, email_verified_at=now if verified else None)
        events.record(user.id, "signup", ip=ip, user_agent=user_agent)
    return user


# What sign-up did: `created` a new account (with the confirmation link's `token`, or None), or not.
SignUp = collections.namedtuple("SignUp", "user created token")


def sign_up(hasher, email, password, name, *, ip="", user_agent="", locale=None, verification=True, mail=None):
    """Sign-up that says the same thing whether or not the address already has an account.

    Returns a SignUp: the new account and its confirmation link's token
    (None when `verification` is off), or the existing account after
    recording a "signup_attempt" event, which mails its owner (at most once an
    hour). `mail(user, token)` queues the confirmation link's e-mail with
    the link. Both paths hash the password, so they take the same time. Raises
    AccountError only for input that is wrong whoever owns the address.
    """
    email = read_email(email)
    read_name(name)
    check_new_password(password)
    existing = User.get_or_none(User.email == email)
    if existing is None:
        try:
            user = create_user(hasher, email, password, name, ip=ip, user_agent=user_agent, locale=locale)
        except (AccountError, IntegrityError) as refused:
            if isinstance(refused, AccountError) and refused.msgid != EMAIL_TAKEN:
                raise
            existing = User.get(User.email == email)  # a sign-up in parallel won the race
        else:
            token = issue_link(user, "verify", hours=VERIFY_LINK_HOURS, mail=mail) if verification else None
            return SignUp(user, True, token)
    hasher.hash(password)  # the time a new account takes
    since = clock.now() - datetime.timedelta(hours=1)
    with db.atomic():
        recent = (SecurityEvent.select().where(SecurityEvent.user == existing.id, SecurityEvent.kind == "signup_attempt",
                                               SecurityEvent.created_at > since).exists())
        if not recent:
            events.record(existing.id, "signup_attempt", ip=ip, user_agent=user_agent)
    return SignUp(existing, False, None)


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
_THROTTLE = Prepared(lambda p: PasswordThrottle.select().where(PasswordThrottle.key == p("key")).limit(SQL("1")))


def argon2_parameters(encoded):
    """The argon2 parameters of one encoded hash, or None when it is not one."""
    try:
        return extract_parameters(encoded)
    except (InvalidHashError, ValueError):
        return None


def stored_argon2_costs():
    """The different argon2 parameter sets among the stored password hashes (one query, no hash read in full)."""
    prefix = "$argon2id$v=19$"
    if is_sqlite():
        rest = fn.SUBSTR(User.password_hash, len(prefix) + 1)
        params = fn.SUBSTR(rest, 1, fn.INSTR(rest, "$") - 1)
    else:
        params = fn.SPLIT_PART(User.password_hash, "$", 4)
    rows = (User.select(params.alias("params")).where(User.password_hash.startswith(prefix))
            .distinct().tuples())
    found = []
    for (text,) in rows:
        parameters = argon2_parameters(f"{prefix}{text}$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA")
        if parameters is not None:
            found.append(parameters)
    return found


class Authenticator:
    """Checks email and password in the same time whether or not the email exists."""

    def __init__(self, hasher):
        self.hasher = hasher
        self._dummy_hash = hasher.hash(new_token())

    def match_stored_costs(self):
        """Make the decoy hash for unknown e-mails cost what the costliest stored hash costs.

        Hashes made before an operator lowered the ARGON2_* costs stay until
        their owners sign in again; checking one of them takes longer, so a
        decoy at today's costs would let a stopwatch tell unknown e-mails from
        those accounts. Called once at start: hashes written later are made
        with today's costs, which the decoy already covers.
        """
        costliest = max(stored_argon2_costs(), key=lambda c: (c.memory_cost * c.time_cost, c.parallelism),
                        default=None)
        if costliest is None:
            return
        current = argon2_parameters(self._dummy_hash)
        if costliest.memory_cost * costliest.time_cost > current.memory_cost * current.time_cost:
            decoy = PasswordHasher(time_cost=costliest.time_cost, memory_cost=costliest.memory_cost,
                                   parallelism=costliest.parallelism)
            self._dummy_hash = decoy.hash(new_token())

    def authenticate(self, email, password, *, policy=None, known_device_user=None):
        """The active user with this email and password, or None.

        With `policy`, wrong passwords are throttled per e-mail address
        (PasswordThrottled while the address must wait), whether or not an
        account has it. A browser this account signed in from before
        (`known_device_user` is its id) is neither held back nor counted: the
        owner at their own browser is never locked out by someone guessing.
        """
        try:
            email = read_email(email)
        except AccountError:
            email = None
        user = _USER_BY_EMAIL.first(email=email) if email else None
        known = user is not None and known_device_user is not None and user.id == known_device_user
        wait = password_wait(policy, email) if policy is not None and email else None
        if wait and not known:
            raise PasswordThrottled(wait)
        stored = user.password_hash if user else self._dummy_hash
        try:
            self.hasher.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            if policy is not None and email and not known:
                record_password_failure(policy, email)
            return None
        if user is None or user.disabled:
            return None
        if wait is not None:  # a run of wrong passwords is over (no write when there was none)
            clear_password_failures(policy, email)
        if self.hasher.check_needs_rehash(stored):
            User.update(password_hash=self.hasher.hash(password)).where(User.id == user.id).execute()
        return user

    def check_password(self, user, password, *, policy=None):
        """True when `password` is the user's (re-authentication); throttled like sign-in with `policy`.

        Raises PasswordThrottled while the account's address must wait: a
        stolen session must not buy unlimited guesses at the password.
        """
        wait = password_wait(policy, user.email) if policy is not None else None
        if wait:
            raise PasswordThrottled(wait)
        try:
            right = self.hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            right = False
        if policy is not None:
            if not right:
                record_password_failure(policy, user.email)
            elif wait is not None:
                clear_password_failures(policy, user.email)
        return right


def reauth_failed(user_id, *, ip="", user_agent=""):
    """A wrong password when confirming a change: on the Security activity page and in the log."""
    with db.atomic():
        events.record(user_id, "reauth_failed", ip=ip, user_agent=user_agent)
    log.warning("re-authentication failed: user=%s ip=%s", user_id, ip)


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


# Consecutive wrong passwords per e-mail address (checklist: per-account throttling).
PASSWORD_THROTTLED = N_plural("Too many wrong passwords for this email address. Try again in %(num)d minute.",
                              "Too many wrong passwords for this email address. Try again in %(num)d minutes.")
# NIST SP 800-63B: at most 100 consecutive failed attempts on one account. After that,
# only a browser this account has signed in from before may try (see below).
MAX_CONSECUTIVE_PASSWORD_FAILURES = 100


class PasswordThrottled(AccountError):
    """Wrong passwords came too fast for this address; `retry_after` seconds until the next try."""

    def __init__(self, retry_after):
        self.retry_after = int(retry_after)
        minutes = max(1, (self.retry_after + 59) // 60)
        super().__init__(PASSWORD_THROTTLED, status=429, num=minutes)


def throttle_key(key, email):
    """The throttle's row key: a keyed hash of the address typed, known or not (so it tells nothing)."""
    return hmac.new(key, b"password-throttle:" + (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def password_wait(policy, email, now=None):
    """Seconds before the next password try for `email` may be checked (0: now); None when the address
    has no wrong passwords on record (nothing to clear after a right one)."""
    now = now or clock.now()
    row = _THROTTLE.first(key=throttle_key(policy.passcode_key, email))
    if row is None:
        return None
    if row.failures >= MAX_CONSECUTIVE_PASSWORD_FAILURES:
        return int(datetime.timedelta(days=1).total_seconds())
    if row.retry_at and row.retry_at > now:
        return int((row.retry_at - now).total_seconds()) + 1
    return 0


def password_delay(policy, failures):
    """The wait after `failures` wrong passwords in a row: none for the first PASSWORD_FREE_FAILURES,
    then 1 minute, doubling, at most PASSWORD_MAX_DELAY_MINUTES."""
    extra = failures - policy.password_free_failures
    if extra < 0:
        return datetime.timedelta(0)
    return min(datetime.timedelta(minutes=policy.password_max_delay_minutes),
               datetime.timedelta(minutes=1) * 2 ** min(extra, 20))


def record_password_failure(policy, email):
    """One more wrong password for `email`, in one upsert; returns the failures in a row."""
    now = clock.now()
    key = throttle_key(policy.passcode_key, email)
    with db.atomic():
        (PasswordThrottle.insert(key=key, failures=1, updated_at=now)
         .on_conflict(conflict_target=[PasswordThrottle.key],
                      update={PasswordThrottle.failures: PasswordThrottle.failures + 1,
                              PasswordThrottle.updated_at: now})
         .execute())
        failures = PasswordThrottle.select(PasswordThrottle.failures).where(PasswordThrottle.key == key).scalar()
        delay = password_delay(policy, failures)
        if delay:
            PasswordThrottle.update(retry_at=now + delay).where(PasswordThrottle.key == key).execute()
    return failures


def clear_password_failures(policy, email):
    with db.atomic():
        PasswordThrottle.delete().where(PasswordThrottle.key == throttle_key(policy.passcode_key, email)).execute()


# One-time links -------------------------------------------------------------------------------


def issue_link(user, purpose, *, minutes=0, hours=0, mail=None):
    """A new one-time link's token for `purpose` ("reset" or "verify"); only its digest is stored.

    `mail(user, token)` queues its e-mail inside the same transaction. None
    when LINKS_PER_HOUR links of this kind, made for the account in the last
    hour, still work (the caller then says the same thing and nothing is mailed).
    """
    now = clock.now()
    token = new_token()
    with db.atomic():
        made = (AccountToken.select().where(AccountToken.user == user.id, AccountToken.purpose == purpose,
                                            AccountToken.created_at > now - datetime.timedelta(hours=1),
                                            AccountToken.used_at.is_null(), AccountToken.expires_at > now).count())
        if made >= LINKS_PER_HOUR:
            return None
        AccountToken.create(token_hash=token_digest(token), user=user.id, purpose=purpose, created_at=now,
                            expires_at=now + datetime.timedelta(minutes=minutes, hours=hours))
        if mail is not None:
            mail(user, token)
    return token


def find_link(token, purpose):
    """The live AccountToken for a link's token (with its user), or None.

    Dead: unknown, used, expired, the account disabled, or (a reset link)
    made before the password last changed.
    """
    if not token or len(token) > 100:
        return None
    now = clock.now()
    row = (AccountToken.select(AccountToken, User).join(User)
           .where(AccountToken.token_hash == token_digest(token), AccountToken.purpose == purpose,
                  AccountToken.used_at.is_null(), AccountToken.expires_at > now, User.disabled == False)  # noqa: E712
           .first())
    if row is None:
        return None
    changed = row.user.password_changed_at
    if purpose == "reset" and changed is not None and row.created_at < changed:
        return None
    return row


def _use_link(row):
    """Use the link up; True for the one request that did (a double submit loses)."""
    return bool(AccountToken.update(used_at=clock.now())
                .where(AccountToken.id == row.id, AccountToken.used_at.is_null()).execute())


# "Forgot password?" is answered in two halves. The request only queues a "reset requested" row in the mail
# queue, the same single write for every well-formed address; the mail sender resolves it later, off the
# request: the account, the link, its e-mail (or nothing). So the answer takes the same time whether or not
# the address has an account (docs/accounts.md, "The same answer for every address").
RESET_REQUEST = "reset_request"  # the queue row's kind
# At most this many requests wait to be resolved at once; beyond it, requests are dropped (the page answers
# the same, a warning is logged), so a queue whose sender is not running cannot grow without end. It is
# far above what the workers can take in between two looks of a running sender (5 s): a low cap would be
# a lever, since a flood that kept it full would silently drop real owners' requests.
RESET_REQUESTS_WAITING = 100_000


def request_password_reset(raw_email, *, link, minutes, site_name, locale):
    """Queue a "Forgot password?" request for the mail sender; True when queued.

    The same work for every well-formed address, known or not: nothing here
    reads the account. `link` is the reset link without its token (ending in
    "token="), `minutes` its lifetime; `site_name` and `locale` are for the
    e-mail. False, and nothing written, for an address that is not well-formed
    or while RESET_REQUESTS_WAITING requests wait. The caller answers the same
    in every case. The sender is not woken: the request waits for its next look
    at the queue, so no work that depends on the account follows the answer.
    """
    try:
        email = read_email(raw_email)
    except AccountError:
        return False
    details = json.dumps({"link": link, "minutes": minutes, "site": site_name, "locale": locale})
    with db.atomic():
        if mail_queue.waiting(RESET_REQUEST, RESET_REQUESTS_WAITING) >= RESET_REQUESTS_WAITING:
            log.warning("password reset requests: %s wait already; this one is dropped", RESET_REQUESTS_WAITING)
            return False
        mail_queue.enqueue(email, "(password reset requested)", details, kind=RESET_REQUEST, wake=False)
    return True


def resolve_password_reset(row):
    """The mail sender's half of "Forgot password?" (a job of mail/sender.py), off any request.

    In one transaction: the request leaves the queue, and for an active
    account with that address a one-time link is made (its token random, only
    its digest stored, PASSWORD_RESET_MINUTES) and its e-mail queued, at most
    LINKS_PER_HOUR an hour; for any other address nothing. Nothing is logged
    about the address or the outcome.
    """
    details = json.loads(row.body)

    def queue_link(user, token):  # in the link's transaction
        link_mail.enqueue(user, "reset", details["site"], details["link"] + token, details["minutes"],
                          details["locale"])

    with db.atomic():
        if not mail_queue.remove_claimed(row):
            return  # another sender took it over after this one's lease ran out
        user = User.get_or_none(User.email == row.to, User.disabled == False)  # noqa: E712
        if user is not None:
            issue_link(user, "reset", minutes=details["minutes"], mail=queue_link)


def _set_password(hasher, user_id, password):
    """The password changes (caller's transaction): every reset link made before now is dead."""
    now = clock.now()
    User.update(password_hash=hasher.hash(password), password_changed_at=now, must_set_password=False).where(
        User.id == user_id).execute()
    AccountToken.update(used_at=now).where(AccountToken.user == user_id, AccountToken.purpose == "reset",
                                           AccountToken.used_at.is_null()).execute()


def _end_sessions_and_sign_ins(user_id, keep_token=None):
    """End the account's sessions (but the one holding `keep_token`) and its pending sign-ins."""
    now = clock.now()
    Challenge.update(finished_at=now).where(Challenge.user == user_id, Challenge.purpose == "signin",
                                            Challenge.finished_at.is_null()).execute()
    query = AuthSession.update(revoked_at=now).where(AuthSession.user == user_id, AuthSession.revoked_at.is_null())
    if keep_token:
        query = query.where(AuthSession.token_hash != token_digest(keep_token))
    return query.execute()


def reset_password(hasher, token, password, *, ip="", user_agent=""):
    """Set a new password with a reset link; return the user. AccountError for a dead link or a bad password.

    In one transaction: the link is used up, the password changes (which kills
    every other reset link), every session and pending sign-in of the account
    ends, the address counts as confirmed (the link reached it), and
    "password_reset" is recorded, which mails the owner. Two-step
    verification is untouched: the next sign-in still asks for it.
    """
    check_new_password(password)
    row = find_link(token, "reset")
    if row is None:
        raise AccountError(LINK_INVALID)
    with db.atomic():
        if not _use_link(row):
            raise AccountError(LINK_INVALID)
        _set_password(hasher, row.user_id, password)
        User.update(email_verified_at=clock.now()).where(User.id == row.user_id,
                                                          User.email_verified_at.is_null()).execute()
        _end_sessions_and_sign_ins(row.user_id)
        events.record(row.user_id, "password_reset", ip=ip, user_agent=user_agent)
    return User.get_by_id(row.user_id)


def change_password(hasher, user, current, password, browser):
    """Change the password with the current one; AccountError when refused.

    In the same transaction the account's other sessions end and `browser`'s session gets a new
    token (in `browser.session_token`).
    """
    try:
        hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise AccountError(CURRENT_PASSWORD_WRONG) from None
    check_new_password(password)
    if password == current:
        raise AccountError(PASSWORD_UNCHANGED)
    with db.atomic():
        _set_password(hasher, user.id, password)
        ended = _end_sessions_and_sign_ins(user.id, keep_token=browser.session_token)
        events.record(user.id, "password_changed", ip=browser.ip, user_agent=browser.user_agent)
        end_other_sessions(user.id, browser)  # the others are ended already: this renews this one's token
    return ended


def set_password_by_administrator(hasher, user, password):
    """`flask users set-password`: a new password, every session ends, the owner is mailed."""
    check_new_password(password)
    with db.atomic():
        _set_password(hasher, user.id, password)
        ended = _end_sessions_and_sign_ins(user.id)
        events.record(user.id, "password_set", actor=events.ADMINISTRATOR)
    return ended


def require_new_password(user_id):
    """After an administrator reset: the old password stops working; returns the one-time link's token.

    Call it inside the reset's transaction. The link works for ADMIN_LINK_HOURS
    (no hourly cap: the operator asked for it).
    """
    now = clock.now()
    token = new_token()
    User.update(must_set_password=True).where(User.id == user_id).execute()
    AccountToken.create(token_hash=token_digest(token), user=user_id, purpose="reset", created_at=now,
                        expires_at=now + datetime.timedelta(hours=ADMIN_LINK_HOURS))
    return token


def request_confirmation(user, mail=None):
    """A new confirmation link's token for an unconfirmed address, or None (confirmed, or too many this hour)."""
    if user.email_verified_at is not None:
        return None
    return issue_link(user, "verify", hours=VERIFY_LINK_HOURS, mail=mail)


def confirm_email(token, *, ip="", user_agent=""):
    """Mark the address confirmed with a confirmation link; return the user. AccountError for a dead link."""
    row = find_link(token, "verify")
    if row is None:
        raise AccountError(LINK_INVALID)
    with db.atomic():
        if not _use_link(row):
            raise AccountError(LINK_INVALID)
        User.update(email_verified_at=clock.now()).where(User.id == row.user_id,
                                                          User.email_verified_at.is_null()).execute()
        events.record(row.user_id, "email_verified", ip=ip, user_agent=user_agent)
    return User.get_by_id(row.user_id)


def email_confirmed(user):
    return user.email_verified_at is not None
