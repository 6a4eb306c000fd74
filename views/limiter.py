"""Per-IP request limits (Flask-Limiter) on password and code submissions.

Storage comes from RATELIMIT_STORAGE_URI: memory:// for one process,
redis:// so that every worker and host shares the counts. These limits are a
first line against scripted guessing; the per-account rules in
twostep/limits.py are what protects each account.
"""
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


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


# Counted on POST only: reading a form costs nothing to protect.
limit_posts = limiter.limit(signin_limit, methods=["POST"])
