"""`flask --app app ...` commands for operators.

  users create EMAIL --password PW [--name NAME]
  db upgrade
  demo            (make run: create the demo account once and print it)
  purge           delete expired challenges, old SMS records, outbox messages, ended sessions
"""
import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

import accounts
from models import User, migrate

users_cli = AppGroup("users", help="Manage accounts.")
db_cli = AppGroup("db", help="Manage the database schema.")

DEMO_EMAIL = "demo@example.com"


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The account's password (at least 8 characters).")
@click.option("--name", default=None, help="Display name (default: the part of EMAIL before @).")
def create_user(email, password, name):
    """Create an account."""
    name = name or email.split("@")[0]
    try:
        user = accounts.create_user(current_app.extensions["password_hasher"], email, password, name)
    except accounts.AccountError as refused:
        raise click.ClickException(str(refused))
    click.echo(f"Created account {user.email} (id {user.id}).")


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
        accounts.create_user(current_app.extensions["password_hasher"], DEMO_EMAIL, password, "Demo User")
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
def purge_command(challenge_hours, sms_days, outbox_hours, session_days):
    """Delete what no rule needs any more (run it daily: see the README)."""
    from purge import purge

    try:
        deleted = purge(challenge_hours=challenge_hours, sms_days=sms_days, outbox_hours=outbox_hours,
                        session_days=session_days)
    except ValueError as refused:
        raise click.ClickException(str(refused))
    click.echo("Deleted: " + ", ".join(f"{count} {table}" for table, count in deleted.items()))


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(demo)
    app.cli.add_command(purge_command)
