"""The security activity record (docs/security.md, "Set-up and settings" and "Logs and durability").

Every change to sign-in or two-step settings is stored for the user to see
on the Security activity tab and logged for the operator, with user id, IP
and UTC time. Details never hold a code or a full phone number.
"""
import logging

from accounts import notices
from core import clock
from core.refusals import N_
from models import Prepared, SecurityEvent, db

log = logging.getLogger("security")

# What each kind means to the user, in the words of the Account page (translated by the views).
LABELS = {
    "signup": N_("Account created"),
    "signin": N_("Signed in"),
    "signin_recovery": N_("Signed in with the recovery code"),
    "signout": N_("Signed out"),
    "two_step_on": N_("Two-step verification turned on"),
    "two_step_off": N_("Two-step verification turned off for a while"),
    "two_step_enabled": N_("Two-step verification enabled again"),
    "two_step_unsubscribed": N_("Two-step verification removed (Unsubscribe)"),
    "number_changed": N_("Phone number changed"),
    "recovery_code_new": N_("New recovery code issued"),
    "second_step_locked": N_("Two-step verification locked after wrong codes"),
    "second_step_failed": N_("Wrong code after a correct password"),
    "reauth_failed": N_("Wrong password when confirming a change"),
    "two_step_reset": N_("Two-step verification reset by an administrator"),
    "account_disabled": N_("Account disabled by an administrator"),
    "password_changed": N_("Password changed"),
    "password_reset": N_("Password reset with an e-mailed link"),
    "password_set": N_("Password set by an administrator"),
    "signup_attempt": N_("Someone tried to sign up with this e-mail address"),
    "email_verified": N_("E-mail address confirmed"),
    "totp_added": N_("Authenticator app added"),
    "totp_removed": N_("Authenticator app removed"),
    "passkey_added": N_("Passkey added"),
    "passkey_removed": N_("Passkey removed"),
}

# Built once (models.Prepared): every sign-in and sign-out records an event.
_NEW_EVENT = Prepared(lambda p: SecurityEvent.insert(
    **{name: p(name) for name in ("user", "kind", "details", "ip", "user_agent", "created_at", "actor")}))

# Who made a change that the user did not make themselves (the `actor` column).
ADMINISTRATOR = "administrator"

# The changes the user is told about by e-mail (accounts/notices.py).
MAILED = {"two_step_on", "two_step_enabled", "two_step_off", "two_step_unsubscribed", "number_changed",
          "recovery_code_new", "signin_recovery", "two_step_reset", "totp_added", "totp_removed",
          "passkey_added", "passkey_removed", "password_changed", "password_reset", "password_set", "signup_attempt",
          "second_step_failed", "second_step_locked"}


def record(user_id, kind, *, ip="", user_agent="", details=None, actor="", mail=True):
    """Store one event; call it inside the transaction that makes the change.

    `details` is data about the change, translated when shown (see models.SecurityEvent).
    `actor` is empty when the user made the change, "administrator" for the CLI.
    For a kind in MAILED, the user's e-mail is queued in the same transaction.
    `mail=False` keeps a kind that is normally mailed off the mail (e.g. one
    warning an hour is enough).
    """
    fields = {"user": user_id, "kind": kind, "details": details or {}, "ip": (ip or "")[:45],
              "user_agent": (user_agent or "")[:255], "created_at": clock.now(), "actor": actor[:32]}
    row = {**fields, "details": SecurityEvent.details.db_value(fields["details"])}  # prepared: values as stored
    if kind in MAILED and mail:
        with db.atomic():  # the event and its e-mail are kept or lost together
            event = SecurityEvent(id=_NEW_EVENT.insert(**row), **fields)
            notices.queue_notice(event)
    else:
        # One INSERT is atomic by itself: no savepoint inside the caller's transaction (sign-in, sign-out).
        event = SecurityEvent(id=_NEW_EVENT.insert(**row), **fields)
    log.info("security event=%s user=%s ip=%s by=%s at=%sZ", kind, user_id, ip, actor or "user",
             event.created_at.isoformat())
    return event


def happened_since(user_id, kind, since):
    """True when the account has an event of `kind` at or after `since`."""
    return SecurityEvent.select().where(SecurityEvent.user == user_id, SecurityEvent.kind == kind,
                                        SecurityEvent.created_at >= since).exists()


def recent(user_id, limit=50):
    return list(SecurityEvent.select().where(SecurityEvent.user == user_id)
                .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc()).limit(limit))
