"""E-mails that carry a one-time link: confirm the address, reset the password, set one after an administrator reset.

Composed here in the reader's language (no Flask: the caller passes the
link and the locale) and put in the mail queue (mail/queue.py), like every
e-mail: the caller does it inside the transaction that makes the link
(accounts.issue_link's `mail`), so a link exists exactly when its e-mail
does, and no page waits for a mail server. The link is the only secret in
them; it is never logged, and the queue empties a mail's body once it is sent.
"""
from core.refusals import N_
from core.translations import catalog
from mail import queue

# kind -> (subject, body): catalog message ids. %(name)s, %(site)s, %(link)s, %(num)d (minutes or hours).
MESSAGES = {
    "verify": (N_("Confirm your e-mail address"),
               N_("Hello %(name)s,\n\nThanks for signing up to %(site)s. To confirm that this address is yours, "
                  "open this link within %(num)d hours:\n\n%(link)s\n\nUntil you do, you can sign in but cannot "
                  "set up two-step verification.\n\nIf you did not sign up, ignore this e-mail.")),
    "welcome": (N_("Your account is ready"),
                N_("Hello %(name)s,\n\nYour %(site)s account is ready. Sign in here:\n\n%(link)s\n\n"
                   "If you did not sign up, ignore this e-mail.")),
    "reset": (N_("Reset your password"),
              N_("Hello %(name)s,\n\nSomeone asked to reset the password of your %(site)s account. To choose a new "
                 "password, open this link within %(num)d minutes. It works once:\n\n%(link)s\n\n"
                 "If it was not you, ignore this e-mail: your password stays as it is. If you use two-step "
                 "verification, it is still asked for at your next sign-in.")),
    "admin_reset": (N_("Set a new password"),
                    N_("Hello %(name)s,\n\nAn administrator of %(site)s reset two-step verification on your account. "
                       "Before you can sign in again, choose a new password with this link. It works once, "
                       "within %(num)d hours:\n\n%(link)s\n\nThen set up two-step verification again from your "
                       "Account page.")),
}


def compose(kind, site_name, name, link, num=0, locale="en"):
    """(subject, body) of one link mail, in `locale`."""
    t = catalog(locale)
    subject, body = MESSAGES[kind]
    values = {"name": name, "site": site_name, "link": link, "num": num}
    return (t.gettext("%(site)s: %(subject)s") % {"site": site_name, "subject": t.gettext(subject)},
            t.gettext(body) % values + f"\n\n-- {site_name}\n")


def enqueue(user, kind, site_name, link, num=0, locale="en"):
    """Queue a link mail to `user`, in their chosen language (else `locale`). Call it in the link's transaction."""
    subject, body = compose(kind, site_name, user.name, link, num, user.locale or locale)
    return queue.enqueue(user.email, subject, body, kind=f"link_{kind}")
