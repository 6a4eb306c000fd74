"""Security e-mails: telling the user that two-step verification changed.

Sent for the events in `events.MAILED` (turned on, Enable, Off, Unsubscribe,
a number change, a recovery code used to sign in, a reset by an
administrator), with the time, browser and IP of the change. They never hold
a code or a full phone number (numbers are masked to their last 2 digits).

Why after commit, and how: `events.record()` runs inside the transaction
that makes the change, so it cannot send mail itself (the transaction may
still roll back, and a slow mail server must not hold the write lock).
Instead the events recorded during a request (or a CLI command) are
collected (`events.start_collecting`), and once the work is over
`deliver()` re-reads each one: only an event that is in the database was
committed, and only those are mailed. Peewee has no portable on-commit hook
(SQLite's commit_hook does not exist on PostgreSQL), so this is the simplest
way that is right on both. A mail failure is logged and never undoes or
blocks the change, which is already committed.
"""
import ipaddress
import logging

from mail import MailError
from models import SecurityEvent, User
from twostep.phones import mask_phone

log = logging.getLogger("security.mail")

# kind -> (subject, first sentence). {site} is the site's name.
MESSAGES = {
    "two_step_on": ("Two-step verification is on",
                    "Two-step verification was turned on for your {site} account."),
    "two_step_enabled": ("Two-step verification is on again",
                         "Two-step verification was enabled again for your {site} account."),
    "two_step_off": ("Two-step verification was turned off",
                     ("Two-step verification was turned off for a while for your {site} account. "
                      "Sign-in does not ask for a passcode until it is on again.")),
    "two_step_unsubscribed": ("Two-step verification was removed",
                              ("Two-step verification was removed from your {site} account (Unsubscribe). "
                               "Its phone number and recovery code were deleted.")),
    "number_changed": ("Your two-step verification number was changed",
                       "The phone number that receives your {site} passcodes was changed."),
    "signin_recovery": ("Your recovery code was used to sign in",
                        ("Someone signed in to your {site} account with your recovery code. "
                         "That code no longer works; a new one was shown after the sign-in.")),
    "two_step_reset": ("Two-step verification was reset by an administrator",
                       ("An administrator of {site} removed two-step verification from your account, "
                        "and signed out all its sessions. You can sign in with your password and set it up again.")),
}

ADVICE = ("If this was you, there is nothing to do.\n"
          "If it was not you, sign in to {site} now, change your password and check "
          "\"Two-step verification\" on your Account page.")


# (token in the User-Agent, name shown), first match wins: Edge and Opera also say "Chrome", Chrome says "Safari".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
            ("Safari/", "Safari"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_browser(user_agent):
    """"Chrome on Windows": a name from a fixed list, never the raw User-Agent.

    The User-Agent is chosen by whoever made the change: quoting it would let
    an attacker write their own sentence ("this was our support team") into
    the e-mail that warns the account's owner.
    """
    agent = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in agent), None)
    system = next((name for token, name in SYSTEMS if token in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"a browser on {system}" if system else "an unknown browser")


def describe_ip(ip):
    """The IP address, or "unknown" when the stored value is not one."""
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return "unknown"


def compose(site_name, user, event):
    """(subject, body) for one event. Only masked numbers; never a code."""
    subject, sentence = MESSAGES[event.kind]
    lines = [f"Hello {user.name},", "", sentence.format(site=site_name), ""]
    lines.append(f"When: {event.created_at:%Y-%m-%d %H:%M} UTC")
    if event.actor:
        lines.append(f"By: an {event.actor}")
    else:
        lines.append(f"Browser: {describe_browser(event.user_agent)}")
        lines.append(f"IP address: {describe_ip(event.ip)}")
    if event.detail:
        lines.append(f"Details: {event.detail}")  # e.g. "to +81 ••••••••78", "until 2026-12-05 10:00 UTC"
    if user.phone and event.kind in ("two_step_on", "two_step_enabled"):
        lines.append(f"Passcodes go to: {mask_phone(user.phone)}")
    lines += ["", ADVICE.format(site=site_name), "", f"-- {site_name}"]
    return f"{site_name}: {subject}", "\n".join(lines) + "\n"


def _committed(event):
    """The event as stored, or None when its transaction was rolled back."""
    # id alone is not enough on SQLite, which may reuse a rolled-back row's id.
    return (SecurityEvent.select()
            .where(SecurityEvent.id == event.id, SecurityEvent.user == event.user_id,
                   SecurityEvent.kind == event.kind, SecurityEvent.created_at == event.created_at)
            .first())


def deliver(mailer, site_name, events):
    """Mail the user about each committed event; return how many were sent. Never raises."""
    sent = 0
    for event in events:
        try:
            stored = _committed(event)
            if stored is None:
                continue
            user = User.get_by_id(stored.user_id)
            subject, body = compose(site_name, user, stored)
            mailer.send(user.email, subject, body)
            sent += 1
        except MailError as error:
            log.error("security mail not sent: event=%s user=%s backend=%s reason=%s",
                      event.kind, event.user_id, getattr(mailer, "name", "?"), error)
        except Exception:  # a notice must never turn a committed change into an error page
            log.exception("security mail not sent: event=%s user=%s", event.kind, event.user_id)
    return sent
