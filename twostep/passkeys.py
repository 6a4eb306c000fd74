"""Passkeys (WebAuthn) as a second step beside SMS and the authenticator app: add, list, remove, sign in.

Like the authenticator app, passkeys are added to an account whose two-step
verification is set up (its number confirmed, its recovery code kept): SMS
stays the article's journey and the way back in. Unsubscribe and an
administrator's reset remove them with the rest (twostep/settings.py).

The ceremonies (py_webauthn does the cryptography and the checks of origin,
relying-party id, challenge, user presence and signature):
- Options: a fresh random challenge is stored on the verification row
  (Challenge.ceremony, with its time) of this browser: the pending sign-in,
  or a "passkey" challenge for adding one. A new options request replaces it.
- Response: the stored challenge is taken off the row by a conditional UPDATE
  before anything is checked, so it is used once whatever the outcome (a
  replay or a parallel copy finds it gone), and it is good for
  CEREMONY_SECONDS.
- A passkey is also a second factor for the step-up before a sensitive change
  (a "passkey-stepup" challenge holds its ceremony), under the same rules.
- The relying-party id is PUBLIC_HOST; the accepted origins are the caller's
  (views/web.py `passkey_origins()`: PASSKEY_ORIGINS, else https://PUBLIC_HOST).

Sign counters: a response whose counter is not above the stored one, when
either is non-zero, is refused (py_webauthn's rule; synced passkeys report 0
and stay 0), and the stored counter only moves by a conditional UPDATE on
the value read, so two parallel uses of one counter value cannot both pass.

A failed passkey sign-in is not a guess at a secret (a signature cannot be
guessed), so it does not count towards the account's lock and mails nobody;
but it is no free oracle either: each response uses its challenge up, and
counts against the pending sign-in's LOCKOUT_FAILURES tries (then the
password is asked again), on top of the per-IP request limit. The account's
lock (for guessed codes) does not stop a passkey, as it does not stop the
recovery code; a passkey sign-in ends that lock like any right code.
"""
import datetime
import hashlib
import hmac
import json
import logging
import secrets
import unicodedata

from peewee import IntegrityError
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import (base64url_to_bytes, bytes_to_base64url, parse_authentication_credential_json,
                              parse_registration_credential_json)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, AuthenticatorTransport, CredentialDeviceType,
                                      PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

import accounts
from accounts import events
from core import clock
from models import Challenge, Passkey, User, db
from twostep import challenges, limits
from twostep import refusals as errors
from twostep.refusals import FlowExpired, TooManyTries, TwoStepError
from twostep.signin import effective_state

log = logging.getLogger(__name__)

PURPOSE = "passkey"  # the Challenge purpose of adding one
METHOD = "passkey"  # User.second_step_method
CEREMONY_SECONDS = 300  # how long one options answer can be used (also the browser's timeout hint)
MAX_PASSKEYS = 10  # per account: enough for every device a person has, not a table to fill
MAX_NAME = 60
MAX_RESPONSE = 64 * 1024  # characters of JSON; a real response is a few KB
MAX_CREDENTIAL_ID = 1023  # bytes (WebAuthn's registration step: a longer credentialId is refused)


def relying_party_id(policy):
    """The WebAuthn relying-party id: PUBLIC_HOST (a host name: an IP address cannot be one)."""
    return policy.public_host.split(":")[0].lower()


def user_handle(policy, user_id):
    """The account's WebAuthn user handle: stable, random-looking, and not the e-mail or the row id."""
    return hmac.new(policy.sealing_key, b"webauthn-user:%d" % user_id, hashlib.sha256).digest()


def of_user(user_id):
    """The account's passkeys, oldest first."""
    return list(Passkey.select().where(Passkey.user == user_id).order_by(Passkey.created_at, Passkey.id))


def has_passkey(user):
    """True when the account has a passkey (a sample account in the gallery says so itself)."""
    known = getattr(user, "has_passkeys", None)
    if known is not None:
        return bool(known)
    return Passkey.select().where(Passkey.user == user.id).exists()


def read_name(raw):
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_NAME or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise TwoStepError(errors.PASSKEY_NAME)
    return name


def _descriptor(row):
    transports = []
    for value in filter(None, row.transports.split(",")):
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            pass
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(row.credential_id), transports=transports or None)


def _new_ceremony(challenge_id):
    """A fresh WebAuthn challenge on the verification row (replacing any earlier one); its bytes."""
    value = bytes_to_base64url(secrets.token_bytes(32))
    updated = (Challenge.update(ceremony=value, ceremony_at=clock.now())
               .where(Challenge.id == challenge_id, Challenge.finished_at.is_null()).execute())
    if not updated:
        raise FlowExpired()
    return base64url_to_bytes(value)


def _take_ceremony(challenge_id):
    """Take the stored WebAuthn challenge off the row (used once, whatever the outcome); its bytes.

    Refused when there is none (never asked, or already used) or it is older than CEREMONY_SECONDS.
    """
    row = Challenge.select(Challenge.ceremony, Challenge.ceremony_at).where(Challenge.id == challenge_id).first()
    if row is None or not row.ceremony:
        raise TwoStepError(errors.PASSKEY_EXPIRED, status=409)
    taken = (Challenge.update(ceremony=None, ceremony_at=None)
             .where(Challenge.id == challenge_id, Challenge.ceremony == row.ceremony).execute())
    if not taken:  # a parallel request took it first
        raise TwoStepError(errors.PASSKEY_EXPIRED, status=409)
    if row.ceremony_at < clock.now() - datetime.timedelta(seconds=CEREMONY_SECONDS):
        raise TwoStepError(errors.PASSKEY_EXPIRED, status=409)
    return base64url_to_bytes(row.ceremony)


def _response_text(raw):
    """The browser's JSON, as text; errors.PASSKEY_MISSING when there is none, errors.PASSKEY_NOT_ACCEPTED when it is junk."""
    if not raw or not raw.strip():
        raise TwoStepError(errors.PASSKEY_MISSING, status=400)
    if len(raw) > MAX_RESPONSE:
        raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED, status=400)
    try:
        if not isinstance(json.loads(raw), dict):
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep, within MAX_RESPONSE
        raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED, status=400) from None
    return raw


# --- Adding one ---------------------------------------------------------------------------------

def _require_two_step(user):
    if effective_state(user) not in ("on", "off"):
        raise TwoStepError(errors.TOTP_NEEDS_TWO_STEP, status=409)


def begin_adding(user):
    """Open the verification of adding a passkey, bound to this browser; returns (challenge, token)."""
    _require_two_step(user)
    return challenges.open_challenge(user.id, PURPOSE)


def registration_options(policy, user, challenge):
    """The options for navigator.credentials.create() (JSON text), for adding a passkey in `challenge`.

    `challenge` is this browser's "passkey" verification (`begin_adding`).
    The account's passkeys are excluded, so one authenticator is not added twice.
    """
    _require_two_step(user)
    existing = of_user(user.id)
    if len(existing) >= MAX_PASSKEYS:
        raise TwoStepError(errors.PASSKEY_TOO_MANY, status=409, num=MAX_PASSKEYS)
    options = generate_registration_options(
        rp_id=relying_party_id(policy), rp_name=policy.site_name, user_name=user.email,
        user_id=user_handle(policy, user.id), user_display_name=user.name or user.email,
        challenge=_new_ceremony(challenge.id), timeout=CEREMONY_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[_descriptor(row) for row in existing])
    return options_to_json(options)


def add(policy, challenge, raw_name, raw_response, origins, browser=None):
    """Check the browser's answer to the options of `challenge` (None: there were none); when right, the
    passkey is added to the account.

    In one transaction: the verification finished, the passkey row, the sign-in opening on passkeys
    next time, the "passkey_added" event (and its e-mail), the step-up used up and the account's other
    sessions ended. Returns the new Passkey.
    """
    browser = browser or accounts.Browser()
    name = read_name(raw_name)
    raw = _response_text(raw_response)
    if challenge is None:  # no options were asked for in this browser (or long ago)
        raise TwoStepError(errors.PASSKEY_EXPIRED, status=409)
    expected = _take_ceremony(challenge.id)
    try:
        credential = parse_registration_credential_json(raw)
        verified = verify_registration_response(
            credential=credential, expected_challenge=expected, expected_rp_id=relying_party_id(policy),
            expected_origin=list(origins), require_user_verification=False)
        if len(verified.credential_id) > MAX_CREDENTIAL_ID:
            raise ValueError  # over WebAuthn's limit: refused like any other bad answer
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
        log.info("passkey not added: user=%s ip=%s (%s)", challenge.user_id, browser.ip, type(error).__name__)
        raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED) from None
    transports = ",".join(t.value for t in (credential.response.transports or []))[:255]
    now = clock.now()
    try:
        with db.atomic():
            if not challenges.finish(challenge):
                raise FlowExpired()
            user = User.get_by_id(challenge.user_id)
            _require_two_step(user)
            if Passkey.select().where(Passkey.user == user.id).count() >= MAX_PASSKEYS:
                raise TwoStepError(errors.PASSKEY_TOO_MANY, status=409, num=MAX_PASSKEYS)
            row = Passkey.create(
                user=user.id, credential_id=bytes_to_base64url(verified.credential_id),
                public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
                transports=transports,
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up, name=name, created_at=now)
            User.update(second_step_method=METHOD).where(User.id == user.id).execute()
            events.record(user.id, "passkey_added", ip=browser.ip, user_agent=browser.user_agent)
            accounts.end_other_sessions(user.id, browser, step_up_used=True)
    except IntegrityError:  # the same credential again (excludeCredentials makes this rare)
        raise TwoStepError(errors.PASSKEY_ALREADY, status=409) from None
    return row


def remove(user, passkey_id, browser=None):
    """Remove one passkey: it no longer completes a sign-in (SMS and the recovery code stay).

    When it was the account's last passkey and sign-in opened on passkeys, it opens on SMS again.
    """
    browser = browser or accounts.Browser()
    with db.atomic():
        removed = Passkey.delete().where(Passkey.id == passkey_id, Passkey.user == user.id).execute()
        if not removed:
            raise TwoStepError(errors.PASSKEY_NONE, status=404)
        if not Passkey.select().where(Passkey.user == user.id).exists():
            User.update(second_step_method=None).where(User.id == user.id, User.second_step_method == METHOD).execute()
        events.record(user.id, "passkey_removed", ip=browser.ip, user_agent=browser.user_agent)
        accounts.end_other_sessions(user.id, browser, step_up_used=True)


def find(user_id, passkey_id):
    """One passkey of the account, or None."""
    return Passkey.select().where(Passkey.id == passkey_id, Passkey.user == user_id).first()


# --- Signing in ---------------------------------------------------------------------------------

def signin_options(policy, challenge):
    """The options for navigator.credentials.get() (JSON text) for `challenge` (a pending sign-in, or a
    step-up): the account's passkeys only (the account is known after the password)."""
    rows = of_user(challenge.user_id)
    if not rows:
        raise TwoStepError(errors.PASSKEY_NONE, status=409)
    options = generate_authentication_options(
        rp_id=relying_party_id(policy), challenge=_new_ceremony(challenge.id), timeout=CEREMONY_SECONDS * 1000,
        allow_credentials=[_descriptor(row) for row in rows], user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options)


def complete_signin(policy, challenge, raw_response, origins, browser):
    """Sign `browser` in with a passkey's answer to the pending sign-in's options. Returns the account.

    The pending sign-in finished, the passkey's counter and last use, the sign-in opening on passkeys
    next time, the session and its "signin" event: one transaction. See the module's docstring for
    what a failure counts against.
    """
    def signed_in(user):
        if user.second_step_method != METHOD:
            User.update(second_step_method=METHOD).where(User.id == user.id).execute()
        limits.record_success(user.id)
        accounts.sign_in(user, browser)

    return _use(policy, challenge, raw_response, origins, browser, signed_in)


# --- The step-up before a sensitive change (twostep/stepup.py) -----------------------------------

STEP_UP = "passkey-stepup"  # the Challenge purpose


def begin_step_up(user):
    """Open the verification of a step-up with a passkey, bound to this browser; returns (challenge, token)."""
    if not has_passkey(user):
        raise TwoStepError(errors.PASSKEY_NONE, status=409)
    return challenges.open_challenge(user.id, STEP_UP)


def confirm_step_up(policy, challenge, raw_response, origins, browser):
    """A passkey as the second factor of `browser`'s step-up (`challenge`: its verification, None when no
    options were asked for): the same checks as a sign-in; this session's second factor is recorded in the
    transaction that moves the passkey's counter."""
    return _use(policy, challenge, raw_response, origins, browser,
                lambda user: accounts.second_factor_confirmed(browser.session_token))


def _use(policy, challenge, raw_response, origins, browser, on_success):
    """Check a passkey's answer to the options of `challenge` (a pending sign-in or a step-up); when right,
    finish the challenge, move the passkey's counter and call `on_success(user)`, in one transaction."""
    raw = _response_text(raw_response)
    if challenge is None:
        raise TwoStepError(errors.PASSKEY_EXPIRED, status=409)
    # The challenge first: of parallel copies of one answer, one takes it; the others are not tries.
    expected = _take_ceremony(challenge.id)
    if not limits.claim_challenge_try(policy, challenge.id):
        raise TooManyTries()
    guess = True  # from here on, a refusal is a try of this verification
    try:
        try:
            credential = parse_authentication_credential_json(raw)
            row = Passkey.select().where(Passkey.user == challenge.user_id,
                                         Passkey.credential_id == bytes_to_base64url(credential.raw_id)).first()
            if row is None:
                raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED)
            verified = verify_authentication_response(
                credential=credential, expected_challenge=expected, expected_rp_id=relying_party_id(policy),
                expected_origin=list(origins), credential_public_key=base64url_to_bytes(row.public_key),
                credential_current_sign_count=row.sign_count, require_user_verification=False)
        except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
            log.info("passkey refused: user=%s ip=%s purpose=%s (%s: %s)", challenge.user_id, browser.ip,
                     challenge.purpose, type(error).__name__, error)
            raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED) from None
        user = User.get_by_id(challenge.user_id)
        with db.atomic():
            # The verification's row first, then the account's: the order every change locks them in.
            if not challenges.finish(challenge):
                guess = False
                raise FlowExpired()
            counted = (Passkey.update(sign_count=verified.new_sign_count, last_used_at=clock.now(),
                                      backed_up=verified.credential_backed_up)
                       .where(Passkey.id == row.id, Passkey.sign_count == row.sign_count).execute())
            if not counted:  # a parallel use of the same counter value won
                raise TwoStepError(errors.PASSKEY_NOT_ACCEPTED)
            on_success(user)
        guess = False
        limits.release_challenge_try(challenge.id)
        return user
    except TwoStepError:
        if not guess:
            limits.release_challenge_try(challenge.id)  # a double request is not a try
            raise
        if limits.end_if_used_up(policy, challenge.id):
            raise TooManyTries() from None
        raise
