"""`flask --app app ...` commands for operators.

  users create EMAIL --password PW [--name NAME]
  db upgrade
  demo            (make run: create the demo account once and print it)
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
        raise click.ClickException(str(refused)) from None
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


def register(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(demo)
