"""Per-client request limits (Flask-Limiter) on password and code submissions, and on sign-ups.

Storage comes from RATELIMIT_STORAGE_URI: database:// (the default,
twostep/limit_storage.py) and redis:// are shared by every worker and host;
memory:// is for one process only (gunicorn.conf.py refuses it with several
workers). A client is an IPv4 address or an IPv6 /64 (twostep/limits.py
`client_key`). These limits are a first line against scripted guessing;
the per-account rules in twostep/limits.py and accounts.py protect each account.
"""
import functools

from flask import current_app, request
from flask_limiter import Limiter

from twostep.limits import client_key
from twostep import limit_storage  # noqa: F401  (registers the database:// storage)


def client():
    """The client the limits count by: the address (after ProxyFix), an IPv6 address by its /64."""
    return client_key(request.remote_addr or "")


limiter = Limiter(key_func=client)


def init_app(app):
    """Install the limiter without its check before every request.

    There are no site-wide limits, only the decorated ones below, which their
    decorator checks itself (tests/test_rate_limits.py); the extra pass before
    every request, page or file, cost about 5 % of a page's time.
    """
    limiter.init_app(app)
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def signin_limit():
    return current_app.config["RATELIMIT_SIGNIN"]


def signup_limit():
    per_day = current_app.config["SIGNUPS_PER_IP_DAY"]
    return f"{per_day} per day" if per_day else "1000000 per day"


_limit_posts = limiter.limit(signin_limit, methods=["POST"])


def limit_posts(view):
    """The per-client limit on a view's POSTs. Reading a form costs nothing to protect, so a GET does
    not enter the limiter at all: even with the method exempt, its check costs about 0.1 ms a page."""
    limited = _limit_posts(view)

    @functools.wraps(limited)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return wrapped


# Accounts made per client per day: only a sign-up that succeeded (a 303) counts.
limit_signups = limiter.limit(signup_limit, methods=["POST"], key_func=lambda: "signup:" + client(),
                              deduct_when=lambda response: response.status_code == 303)
