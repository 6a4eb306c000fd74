"""The application factory: settings, database, extensions, blueprints, CLI.

`create_app()` reads defaults, then the environment (config.py), then the
test config. Run it with `make run` (development) or gunicorn
`'app:create_app()'` (production, see the README).
"""
import logging
import os
import secrets

import jinja2
from flask import Flask, g, request, session
from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

import accounts
import cli
from config import load_settings, log_format_problem, secret_key_problem
from core import logs
from mail import make_mailer
from mail.sender import MailSender
from models import Prepared, init_database, migrate, release_connections
from sms import make_sender
from twostep import codes, monitoring
from twostep.policy import Policy
from views import assets, i18n, messages, register_blueprints
from views.error_pages import register_error_handlers
from views.limiter import init_app as limiter_init_app
from views.security_mail import register_security_mail
from views.observe import register_request_observer
from views.ops import NO_DATABASE, MetricsListener, metrics_port
from views.security_headers import register_security_headers
from views.sessions import CookieSessionInterface
from views.web import install_cached_url_for

csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(test_config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_settings())
    app.config.update(
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; sign-out renews both
    )
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.testing:
        # A template reading a variable its view never passes fails the tests instead of showing nothing.
        app.jinja_env.undefined = StrictUndefined
    _configure_secret_key(app)
    _check_time_zone(app)
    _refuse_outbox_in_production(app)
    _configure_cookies(app)
    app.session_interface = CookieSessionInterface()
    _configure_logging(app)
    _configure_proxies(app)
    # First, so that every later hook's log lines carry the request id.
    register_request_observer(app)

    url = app.config.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "app.sqlite3")
    app.config["DATABASE_URL"] = url
    database = init_database(url)
    migrate()
    hasher = accounts.make_hasher(app.config)
    codes.use_hasher(hasher)  # recovery codes follow the operator's ARGON2_* settings too
    authenticator = accounts.Authenticator(hasher)
    with database.connection_context():
        authenticator.match_stored_costs()
    # No connection may cross a fork: gunicorn forks its workers after this (preload_app).
    release_connections()
    app.config["EXPECTED_MIGRATIONS"] = monitoring.expected_migrations()

    @app.before_request
    def _open_db():
        if request.endpoint in NO_DATABASE:
            return  # health probes and metrics: nothing borrowed, nothing to give back
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close_db(_exc):
        if not database.is_closed():
            database.close()

    app.extensions["policy"] = Policy.from_settings(app.config)
    app.extensions["sms_sender"] = make_sender(app.config)
    app.extensions["mailer"] = make_mailer(app.config)
    # The sender also resolves "Forgot password?" requests, off the request (accounts.request_password_reset).
    app.extensions["mail_sender"] = MailSender.from_config(
        app.extensions["mailer"], app.config, jobs={accounts.RESET_REQUEST: accounts.resolve_password_reset})
    app.extensions["authenticator"] = authenticator
    app.extensions["password_hasher"] = hasher

    if app.testing:
        # A template that reads a variable its view never passes fails the test instead of showing nothing.
        app.jinja_env.undefined = jinja2.StrictUndefined
    csrf.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("RATELIMIT_STORAGE_URI") or "database://"
    limiter_init_app(app)
    i18n.init_app(app)
    _configure_login(app)
    register_security_headers(app)
    register_security_mail(app)
    register_error_handlers(app)
    register_blueprints(app)
    assets.init_app(app)
    install_cached_url_for(app)
    cli.register(app)
    _configure_metrics_listener(app)
    return app


def warm_up(app):
    """Do once, before gunicorn forks its workers (preload_app), what every worker would do on its first requests.

    Every template is compiled and every prepared query built here, so the
    workers start with them (shared memory, no first slow requests), and a
    worker that `max_requests` replaces every couple of thousand requests does
    not pay for them again. Called by gunicorn.conf.py's `when_ready`, not by
    create_app(): a CLI command or a test does not need it.
    """
    templates = app.jinja_env.list_templates(extensions=("html",))
    for name in templates:
        app.jinja_env.get_template(name)
    queries = Prepared.build_all()
    app.logger.info("warmed up before forking: %d templates compiled, %d queries prepared", len(templates), queries)


def _configure_metrics_listener(app):
    """METRICS_BIND: requests on that listener get /metrics and nothing else (views/ops.py)."""
    if app.config.get("METRICS_BIND"):
        app.wsgi_app = MetricsListener(app.wsgi_app, metrics_port(app.config["METRICS_BIND"]),
                                       app.config["SMS_DAILY_LIMIT"])


def _refuse_outbox_in_production(app):
    """The outbox texts nobody and keeps every passcode in a table: development only, unless asked for."""
    if app.debug or app.testing or app.config.get("SMS_OUTBOX_IN_PRODUCTION"):
        return
    if (app.config.get("SMS_BACKEND") or "outbox").lower() == "outbox":
        raise SystemExit(
            "Refusing to start: SMS_BACKEND is 'outbox', which sends no SMS and stores passcodes in the database.\n"
            "Set SMS_BACKEND=vonage with its VONAGE_* settings (README: Sending real SMS with Vonage), or\n"
            "SMS_OUTBOX_IN_PRODUCTION=1 for a load test or a staging server."
        )


def _check_time_zone(app):
    """TIME_ZONE must be a zone this machine knows (e.g. Asia/Tokyo, Europe/Paris, UTC)."""
    from core.translations import time_zones

    name = app.config.get("TIME_ZONE") or "UTC"
    if name not in time_zones():
        raise SystemExit(f"TIME_ZONE={name!r} is not a known time zone; use an IANA name such as "
                         "'Asia/Tokyo' or 'UTC'.")
    app.config["TIME_ZONE"] = name


def _configure_secret_key(app):
    """Outside debug and testing, refuse to start with no or a guessable key."""
    key = app.config.get("SECRET_KEY")
    if app.debug or app.testing:
        if not key:
            # A random key kept in instance/ so `make run` sessions survive a restart.
            path = os.path.join(app.instance_path, "dev-secret-key")
            if not os.path.exists(path):
                with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
            with open(path) as handle:
                app.config["SECRET_KEY"] = handle.read().strip()
        return
    problem = secret_key_problem(key)
    if problem:
        raise SystemExit(
            f"Refusing to start: {problem} Set SECRET_KEY to a long random value, for example the output of\n"
            "  python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def _configure_cookies(app):
    secure = app.config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = secure
    # The __Host- prefix pins the cookie to this host over HTTPS (docs/security.md, "Sessions").
    app.config["SESSION_COOKIE_NAME"] = "__Host-session" if secure else "session"
    app.config["REMEMBER_COOKIE_SECURE"] = secure


def _configure_proxies(app):
    """Trust X-Forwarded-For and X-Forwarded-Proto from TRUSTED_PROXIES reverse proxies (default: none).

    With 0, a client cannot choose the IP the security record and the SMS caps
    see by sending its own X-Forwarded-For. With N, ProxyFix takes the address
    the Nth proxy from the app appended, so the proxies must append to (or
    overwrite) those headers. X-Forwarded-Host is not trusted: nothing here
    builds URLs from the host.
    """
    trusted = app.config.get("TRUSTED_PROXIES") or 0
    if trusted < 0:
        raise SystemExit("TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front of the app.")
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=0, x_port=0, x_prefix=0)


def _configure_logging(app):
    # The Vonage SDK prints request bodies (the passcode) and headers at DEBUG;
    # Peewee prints every query with its parameters (full phone numbers).
    for name in ("vonage", "vonage_http_client", "urllib3", "peewee"):
        logging.getLogger(name).setLevel(logging.INFO)
    problem = log_format_problem(app.config.get("LOG_FORMAT"))
    if problem:
        raise SystemExit(problem)
    logs.configure(app.config.get("LOG_FORMAT"))


def _configure_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "signin.password"
    login_manager.login_message = messages.PLEASE_SIGN_IN
    login_manager.localize_callback = gettext
    # Our own server-side sessions replace Flask-Login's cookie checks.
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id):
        auth_session = accounts.active_session(session.get("sid"), max_days=app.config["SESSION_MAX_DAYS"])
        if auth_session is None or str(auth_session.user_id) != user_id:
            return None
        g.auth_session = auth_session
        return auth_session.user
