"""Security e-mails: telling the user that two-step verification changed.

Written for the events in `events.MAILED` (turned on, Enable, Off,
Unsubscribe, a number change, a new recovery code, a recovery code used to
sign in, a reset by an administrator, an authenticator app or a passkey
added or removed), with the time, browser and IP of the change. They never hold a
code or a full phone number (numbers are masked to their last 2 digits).

How: `events.record()` runs inside the transaction that makes the change and
calls `queue_notice()`, which writes the e-mail to the mail queue in that
same transaction (mail/queue.py). So a committed change always has its
e-mail, a rolled-back one never does, and no page waits for a mail server:
mail/sender.py sends the queue apart from requests, with retries.

The site's name and the page's language are not the rules' business: the
caller (a request, a CLI command) says them with `use()`.
"""
import contextvars
import ipaddress
import logging

from core.phones import mask_phone
from core.refusals import N_
from core.translations import HOME_REGION, catalog, event_details, format_when, local_time, zone_label
from mail import queue
from models import User

log = logging.getLogger("security.mail")

# kind -> (subject, first sentence): catalog message ids, written in the user's language.
# %(site)s is the site's name.
MESSAGES = {
    "two_step_on": (N_("Two-step verification is on"),
                    N_("Two-step verification was turned on for your %(site)s account.")),
    "two_step_enabled": (N_("Two-step verification is on again"),
                         N_("Two-step verification was enabled again for your %(site)s account.")),
    "two_step_off": (N_("Two-step verification was turned off"),
                     N_("Two-step verification was turned off for a while for your %(site)s account. "
                        "Sign-in does not ask for a passcode until it is on again.")),
    "two_step_unsubscribed": (N_("Two-step verification was removed"),
                              N_("Two-step verification was removed from your %(site)s account (Unsubscribe). "
                                 "Its phone number and recovery code were deleted.")),
    "number_changed": (N_("Your two-step verification number was changed"),
                       N_("The phone number that receives your %(site)s passcodes was changed.")),
    "recovery_code_new": (N_("You have a new recovery code"),
                          N_("A new recovery code was made for your %(site)s account. "
                             "The old one no longer works.")),
    "signin_recovery": (N_("Your recovery code was used to sign in"),
                        N_("Someone signed in to your %(site)s account with your recovery code. "
                           "That code no longer works; a new one was shown after the sign-in.")),
    "second_step_failed": (N_("A wrong code was entered after your password"),
                           N_("Someone entered your %(site)s password correctly, then a wrong passcode or "
                              "recovery code. If it was not you, your password is known to someone else.")),
    "second_step_locked": (N_("Passcodes for your account are locked"),
                           N_("After too many wrong passcodes following a correct password, passcodes for your "
                              "%(site)s account are locked for a while. You can still sign in with your "
                              "recovery code.")),
    "totp_added": (N_("An authenticator app was added"),
                   N_("An authenticator app was added to your %(site)s account. Its codes now complete "
                      "a sign-in, beside the SMS passcode.")),
    "totp_removed": (N_("The authenticator app was removed"),
                     N_("The authenticator app was removed from your %(site)s account. Its codes no "
                        "longer complete a sign-in.")),
    "passkey_added": (N_("A passkey was added"),
                      N_("A passkey was added to your %(site)s account. It now completes a sign-in, "
                         "beside the SMS passcode.")),
    "passkey_removed": (N_("A passkey was removed"),
                        N_("A passkey was removed from your %(site)s account. It no longer completes a sign-in.")),
    "two_step_reset": (N_("Two-step verification was reset by an administrator"),
                       N_("An administrator of %(site)s removed two-step verification from your account, "
                          "and signed out all its sessions. Your old password no longer works: set a new one "
                          "with the one-time link you get in a separate e-mail or from the administrator, "
                          "then set up two-step verification again.")),
    "password_changed": (N_("Your password was changed"),
                         N_("The password of your %(site)s account was changed. Your other sessions were signed out.")),
    "password_reset": (N_("Your password was reset"),
                       N_("The password of your %(site)s account was reset with a link sent to this address. "
                          "Every session was signed out. Two-step verification is unchanged.")),
    "password_set": (N_("Your password was set by an administrator"),
                     N_("An administrator of %(site)s set a new password for your account. "
                        "Every session was signed out.")),
    "signup_attempt": (N_("Someone tried to sign up with your address"),
                       N_("Someone tried to create a %(site)s account with this e-mail address, which already has one. "
                          "Nothing was changed on your account.")),
}

# Advice that replaces ADVICE for some kinds.
KIND_ADVICE = {
    "signup_attempt": N_("If it was you: sign in with your password, or use \"Forgot password?\" on the sign-in "
                         "page.\nIf it was not you, there is nothing to do."),
}

ADVICE = N_("If this was you, there is nothing to do.\n"
            "If it was not you, sign in to %(site)s now, change your password and check "
            "\"Two-step verification\" on your Account page.")


# (token in the User-Agent, name shown), first match wins: Edge and Opera also say "Chrome", Chrome says "Safari".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
            ("Safari/", "Safari"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_browser(user_agent, locale="en"):
    """"Chrome on Windows": a name from a fixed list, never the raw User-Agent.

    The User-Agent is chosen by whoever made the change: quoting it would let
    an attacker write their own sentence ("this was our support team") into
    the e-mail that warns the account's owner.
    """
    t = catalog(locale)
    agent = user_agent or ""
    browser = next((name for token, name in BROWSERS if token in agent), None)
    system = next((name for token, name in SYSTEMS if token in agent), None)
    if browser and system:
        return t.gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return t.gettext("a browser on %(system)s") % {"system": system}
    return t.gettext("an unknown browser")


def describe_ip(ip, locale="en"):
    """The IP address, or "unknown" when the stored value is not one."""
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return catalog(locale).gettext("unknown")


def _when(moment, locale, time_zone):
    # English keeps the ISO-like form operators grep for; other languages their own way of writing dates.
    if str(locale) == "en":
        local = local_time(moment, time_zone)
        return f"{local:%Y-%m-%d %H:%M} {zone_label(local)}"
    return format_when(moment, locale, time_zone)


def compose(site_name, user, event, locale="en", time_zone="UTC"):
    """(subject, body) for one event, in `locale` and the user's time zone (else `time_zone`, the site's).

    Only masked numbers; never a code.
    """
    time_zone = getattr(user, "time_zone", None) or time_zone
    t = catalog(locale)
    subject, sentence = MESSAGES[event.kind]
    lines = [t.gettext("Hello %(name)s,") % {"name": user.name}, "", t.gettext(sentence) % {"site": site_name}, ""]
    lines.append(t.gettext("When: %(when)s") % {"when": _when(event.created_at, locale, time_zone)})
    if event.actor:
        lines.append(t.gettext("By: an administrator") if event.actor == "administrator" else f"By: {event.actor}")
    else:
        lines.append(t.gettext("Browser: %(browser)s") % {"browser": describe_browser(event.user_agent, locale)})
        lines.append(t.gettext("IP address: %(ip)s") % {"ip": describe_ip(event.ip, locale)})
    if event.details:
        # e.g. "to +81 ••••••••78", "until 2026-12-05 10:00 UTC"
        lines.append(t.gettext("Details: %(detail)s") % {"detail": event_details(event.details, locale, time_zone)})
    if user.phone and event.kind in ("two_step_on", "two_step_enabled"):
        phone = mask_phone(user.phone, HOME_REGION.get(str(locale)))
        lines.append(t.gettext("Passcodes go to: %(phone)s") % {"phone": phone})
    lines += ["", t.gettext(KIND_ADVICE.get(event.kind, ADVICE)) % {"site": site_name}, "", f"-- {site_name}"]
    return t.gettext("%(site)s: %(subject)s") % {"site": site_name, "subject": t.gettext(subject)}, \
        "\n".join(lines) + "\n"


# (site name, language, site time zone) of whoever records events now: set by the request or CLI command
# with `use()`.
_context = contextvars.ContextVar("notice_context", default=None)
_default_site = {"name": "beSTREAM", "time_zone": "UTC"}


def configure(site_name, time_zone="UTC"):
    """The site name and time zone used when no request or command said them (create_app calls it)."""
    _default_site.update(name=site_name, time_zone=time_zone)


def use(site_name, locale="en", time_zone=None):
    """Write the notices recorded from now on in this context for `site_name`, in `locale`.

    `locale` may be a function, called when a notice is written (the page's
    language is only known once the request has found its user). Returns the
    token `done()` takes.
    """
    return _context.set((site_name, locale, time_zone or _default_site["time_zone"]))


def done(token):
    _context.reset(token)


def queue_notice(event):
    """Queue the e-mail for `event` (a stored SecurityEvent) in the caller's transaction.

    The mail is in the language the user chose (User.locale), else in the
    language of the page that made the change.
    """
    site_name, locale, time_zone = _context.get() or (_default_site["name"], "en", _default_site["time_zone"])
    user = User.get_by_id(event.user_id)
    language = user.locale or (locale() if callable(locale) else locale)
    subject, body = compose(site_name, user, event, language, time_zone)
    return queue.enqueue(user.email, subject, body, kind=event.kind)
