"""`flask --app app ...` commands for operators.

  users create EMAIL --password PW [--name NAME]
  users list
  users disable EMAIL          (also ends the account's sessions)
  users unthrottle EMAIL       (new browsers may try the password again at once)
  two-step status EMAIL        (state, masked number, Off-until date, lock; never the number or a code)
  users set-password EMAIL     (asks for the new password; every session ends, the owner is mailed)
  two-step reset EMAIL [--yes] [--print-link]
                               (for a user who lost both phone and recovery code; forces a new password
                                through a one-time link, e-mailed to the user or printed)
  db upgrade
  demo            (make run: create the demo account once and print it)
  purge           delete expired challenges, old SMS records, outbox messages, ended sessions
  sms usage       SMS today and over 30 days by purpose and country, the budget left, the estimated cost
  mail status     the mail queue: waiting, sent, given up, and why
  mail send       send the due mail now (MAIL_QUEUE_THREAD=0: run it from a timer)
  mail retry      give the mails marked failed a new round of tries

Bad input (an invalid or unknown email) prints a message and exits with
status 1 (click's ClickException); a usage mistake exits with status 2.
"""
import os
import secrets

import click
from flask import current_app, url_for
from flask.cli import AppGroup

import accounts
from accounts import link_mail, notices
from core import clock
from core.phones import mask_phone
from mail import queue as mail_queue
from models import User, db, migrate
from twostep import passkeys as passkey_rules
from twostep import settings as settings_rules
from twostep import signin as signin_rules

users_cli = AppGroup("users", help="Manage accounts.")
db_cli = AppGroup("db", help="Manage the database schema.")
two_step_cli = AppGroup("two-step", help="Look at or reset an account's two-step verification.")
sms_cli = AppGroup("sms", help="What the SMS cost.")
mail_cli = AppGroup("mail", help="Look at and send the mail queue.")

DEMO_EMAIL = "demo@example.com"


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The account's password (at least 8 characters).")
@click.option("--name", default=None, help="Display name (default: the part of EMAIL before @).")
def create_user(email, password, name):
    """Create an account."""
    name = name or email.split("@")[0]
    try:
        # The operator vouches for the address: it counts as confirmed.
        user = accounts.create_user(current_app.extensions["password_hasher"], email, password, name, verified=True)
    except accounts.AccountError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Created account {user.email} (id {user.id}).")


def _find_user(email):
    try:
        return accounts.find_user(email)
    except accounts.AccountError as refused:
        raise click.ClickException(str(refused))


def _mail_after(work):
    """Run `work()` (its security e-mails are queued with it), then try to send them now.

    A mail server that is down only delays them: they stay queued and the
    servers' sender threads (or `mail send`) retry.
    """
    token = notices.use(current_app.config["SITE_NAME"], "en", current_app.config["TIME_ZONE"])
    try:
        result = work()
    finally:
        notices.done(token)
    current_app.extensions["mail_sender"].send_due()
    return result


def _when(moment):
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@users_cli.command("list")
def list_users():
    """List the accounts: id, email, name, two-step verification state, disabled."""
    users = list(User.select().order_by(User.id))
    if not users:
        click.echo("No accounts yet.")
        return
    rows = [("ID", "EMAIL", "NAME", "TWO-STEP", "STATUS", "CREATED")]
    for user in users:
        rows.append((str(user.id), user.email, user.name, signin_rules.effective_state(user),
                     "disabled" if user.disabled else "active", f"{user.created_at:%Y-%m-%d}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@users_cli.command("disable")
@click.argument("email")
def disable_user(email):
    """Disable an account: it can no longer sign in, and its sessions end now."""
    user = _find_user(email)
    if accounts.disable_user(user):
        click.echo(f"Disabled {user.email}; its sessions have been ended.")
    else:
        click.echo(f"{user.email} was already disabled; any sessions left have been ended.")


@users_cli.command("unthrottle")
@click.argument("email")
def unthrottle_user(email):
    """Let new browsers try this address's password again at once (after wrong passwords by others).

    For an owner whose only browsers are new ones, after someone else typed
    100 wrong passwords in a row for the address. Check who is asking first.
    """
    user = _find_user(email)
    accounts.clear_password_failures(current_app.extensions["policy"], user.email)
    click.echo(f"Wrong passwords for {user.email} forgotten: any browser may try again now.")


@two_step_cli.command("status")
@click.argument("email")
def two_step_status(email):
    """Show an account's two-step verification: state, masked number, authenticator app, passkeys, Off-until
    date, lock."""
    user = _find_user(email)
    state = signin_rules.effective_state(user)
    click.echo(f"Account:   {user.email}{' (disabled)' if user.disabled else ''}")
    click.echo(f"Two-step:  {state}")
    click.echo(f"Number:    {mask_phone(user.phone) or '-'}")
    click.echo(f"App:       {'added ' + _when(user.totp_added_at) if user.totp_secret else '-'}")
    keys = passkey_rules.of_user(user.id)
    click.echo(f"Passkeys:  {len(keys) or '-'}" + "".join(
        f"\n           {key.name!r}, added {_when(key.created_at)}, "
        f"{'last used ' + _when(key.last_used_at) if key.last_used_at else 'not used yet'}" for key in keys))
    if state == "off":
        until = signin_rules.off_until(user)
        click.echo(f"Off until: {_when(until) if until else 'Enable is clicked'}")
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        click.echo(f"Lock:      locked until {_when(user.locked_until)} (too many wrong codes)")
    else:
        click.echo(f"Lock:      not locked ({user.second_step_failures} wrong codes in a row)")


def _link(path_endpoint, token):
    """An absolute link for an e-mail or the terminal: PUBLIC_URL, else https://PUBLIC_HOST."""
    base = current_app.config.get("PUBLIC_URL") or "https://" + current_app.config["PUBLIC_HOST"]
    with current_app.test_request_context(base_url=base):
        return base.rstrip("/") + url_for(path_endpoint, token=token)


@two_step_cli.command("reset")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--print-link", is_flag=True,
              help="Print the one-time new-password link for you to pass on, instead of e-mailing it.")
def two_step_reset(email, yes, print_link):
    """Remove two-step verification for a user who lost both phone and recovery code.

    Check who is asking first (README: "Before an administrator reset").
    The old password stops working too: whoever asks must also own the
    mailbox (the new-password link is e-mailed) or get the link from you
    (--print-link). The account's sessions end, the user is told by e-mail,
    and the change is recorded as a security event made by an administrator.
    """
    user = _find_user(email)
    if user.two_step == "none":
        raise click.ClickException(f"{user.email} has no two-step verification to reset.")
    if not yes:
        click.confirm(f"Remove two-step verification from {user.email} and make its password stop working?",
                      abort=True)

    def reset():
        # One transaction: two-step verification goes, the old password stops working, and the
        # new-password link (with its e-mail, unless it is printed) is made.
        with db.atomic():
            ended = settings_rules.reset_by_administrator(user)
            link = _link("password.reset", accounts.require_new_password(user.id))
            if not print_link:
                link_mail.enqueue(user, "admin_reset", current_app.config["SITE_NAME"], link,
                                  accounts.ADMIN_LINK_HOURS)
        return ended, link

    ended, link = _mail_after(reset)
    click.echo(f"Two-step verification removed from {user.email}; {ended} session(s) ended. "
               "Its old password no longer signs in.")
    if print_link:
        click.echo(f"Give the user this one-time link to set a new password (valid {accounts.ADMIN_LINK_HOURS} "
                   f"hours, works once):\n  {link}")
    else:
        click.echo(f"A one-time link to set a new password is e-mailed to {user.email} "
                   "(`flask --app app mail status` shows whether it went).")


@users_cli.command("set-password")
@click.argument("email")
@click.password_option("--password", prompt="New password", help="The new password (asked for when not given).")
def set_password(email, password):
    """Set an account's password: every session ends and the owner is told by e-mail.

    Two-step verification is unchanged: the next sign-in still asks for it.
    """
    user = _find_user(email)
    try:
        ended = _mail_after(lambda: accounts.set_password_by_administrator(
            current_app.extensions["password_hasher"], user, password))
    except accounts.AccountError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"New password set for {user.email}; {ended} session(s) ended.")


@db_cli.command("upgrade")
def upgrade():
    """Apply pending schema migrations."""
    applied = migrate()
    click.echo("Applied: " + ", ".join(applied) if applied else "The database is up to date.")


@click.command("demo")
def demo():
    """Create the demo account on first run and print how to sign in."""
    # The password is kept beside the development database so every `make run` can print it.
    path = os.path.join(current_app.instance_path, "demo-account.txt")
    if not User.select().where(User.email == DEMO_EMAIL).exists():
        password = secrets.token_urlsafe(9)
        accounts.create_user(current_app.extensions["password_hasher"], DEMO_EMAIL, password, "Demo User",
                             verified=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(password)
    elif os.path.exists(path):
        with open(path) as handle:
            password = handle.read().strip()
    else:
        click.echo(f"Demo account: {DEMO_EMAIL} (its password is not known here).")
        return
    click.echo("")
    click.echo("  Demo account created:")
    click.echo(f"    email:    {DEMO_EMAIL}")
    click.echo(f"    password: {password}")
    click.echo("")


@click.command("purge")
@click.option("--challenge-hours", default=24, show_default=True, help="Keep verifications this long.")
@click.option("--sms-days", default=30, show_default=True, help="Keep SMS records this long (at least 2).")
@click.option("--outbox-hours", default=24, show_default=True, help="Keep outbox (development) messages this long.")
@click.option("--session-days", default=30, show_default=True, help="Keep ended sessions this long.")
@click.option("--mail-days", default=7, show_default=True, help="Keep sent mails' records this long.")
def purge_command(challenge_hours, sms_days, outbox_hours, session_days, mail_days):
    """Delete what no rule needs any more (run it daily: see the README)."""
    from purge import purge

    try:
        deleted = purge(challenge_hours=challenge_hours, sms_days=sms_days, outbox_hours=outbox_hours,
                        session_days=session_days, mail_days=mail_days)
    except ValueError as refused:
        raise click.ClickException(str(refused))
    click.echo("Deleted: " + ", ".join(f"{count} {table}" for table, count in deleted.items()))


@sms_cli.command("usage")
def sms_usage():
    """SMS today (UTC) and over the last 30 days by purpose and country, the budget left, the estimated cost."""
    from config import parse_sms_prices
    from twostep.usage import usage

    try:
        prices = parse_sms_prices(current_app.config.get("SMS_PRICES"))
    except ValueError as refused:
        raise click.ClickException(str(refused))
    currency = current_app.config.get("SMS_PRICE_CURRENCY") or ""
    with db.connection_context():
        report = usage(current_app.config["SMS_DAILY_LIMIT"], prices)

    def money(amount):
        return "-" if amount is None else f"{amount:.2f} {currency}".strip()

    click.echo(f"SMS usage at {report['now']:%Y-%m-%d %H:%M} UTC "
               f"(today: since 00:00 UTC; period: the last {report['days']} days)")
    header = f"{'purpose':<10}{'country':<9}{'today: sent':>12}{'failed':>8}{'refused':>9}" \
             f"{'period: sent':>14}{'failed':>8}{'refused':>9}{'est. cost':>14}"
    click.echo(header)
    for row in report["rows"]:
        today, period = row["today"], row["period"]
        click.echo(f"{row['purpose']:<10}{row['country']:<9}{today['sent']:>12}{today['failed']:>8}"
                   f"{today['refused']:>9}{period['sent']:>14}{period['failed']:>8}{period['refused']:>9}"
                   f"{money(row['cost']):>14}")
    if not report["rows"]:
        click.echo("(no SMS in the period)")
    click.echo(f"Budget left: {report['budget_left']} of {report['daily_limit']} in the last 24 hours "
               "(SMS_DAILY_LIMIT).")
    click.echo(f"Estimated cost (sent and failed SMS): today {money(report['cost_today'])}, "
               f"last {report['days']} days {money(report['cost_period'])}.")
    if report["unpriced"]:
        click.echo("No price for: " + ", ".join(report["unpriced"]) + " (not in the cost above; set SMS_PRICES, "
                   "e.g. SMS_PRICES=JP=0.0712,*=0.05).")
@mail_cli.command("status")
def mail_status():
    """The mail queue: how many e-mails wait, are sent or were given up, and the unsent ones."""
    counts = mail_queue.summary()
    click.echo(f"Waiting: {counts['pending'] + counts['sending']}   Sent: {counts['sent']}   "
               f"Given up: {counts['failed']}")
    rows = mail_queue.unsent()
    if not rows:
        click.echo("Nothing waits to be sent.")
        return
    now = clock.now()
    table = [("ID", "QUEUED", "KIND", "TO", "TRIES", "STATE", "LAST ERROR")]
    for row in rows:
        if row.status == "failed":
            state = "given up"
        elif row.next_attempt_at <= now:
            state = "due now"
        else:
            state = f"next try {_when(row.next_attempt_at)}"
        table.append((str(row.id), _when(row.created_at), row.kind or "-", row.to, str(row.attempts), state,
                      row.last_error[:60] or "-"))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    if counts["failed"]:
        click.echo("Mails given up are kept: `flask --app app mail retry` tries them again.")


@mail_cli.command("send")
def mail_send():
    """Send every due mail now, once each (for MAIL_QUEUE_THREAD=0, from a timer)."""
    done = current_app.extensions["mail_sender"].send_due()
    click.echo(f"Sent: {done['sent']}   Will retry: {done['retry']}   Given up: {done['failed']}")
    if done["retry"] or done["failed"]:
        raise SystemExit(1)


@mail_cli.command("retry")
def mail_retry():
    """Give every mail marked failed a new round of tries, starting now."""
    count = mail_queue.retry_failed()
    click.echo(f"{count} mail(s) will be tried again.")


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(two_step_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(demo)
    app.cli.add_command(purge_command)
    app.cli.add_command(sms_cli)
