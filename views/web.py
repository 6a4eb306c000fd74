"""Small helpers the views share: the client's address, the rules' settings, flashing errors."""
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request, url_for
from flask_login import current_user


def client_ip():
    # ProxyFix (when the operator trusts a proxy) has already set remote_addr.
    return request.remote_addr or ""


def user_agent():
    return (request.user_agent.string or "")[:255]


def who():
    """ip and user_agent, as the rules' keyword arguments."""
    return {"ip": client_ip(), "user_agent": user_agent()}


def policy():
    return current_app.extensions["policy"]


def sender():
    return current_app.extensions["sms_sender"]


def public_url(path):
    """An absolute link to `path` for an e-mail.

    Built from PUBLIC_URL (else https://PUBLIC_HOST), never from the request's
    Host header: a forged Host would otherwise put an attacker's site in a
    password-reset mail. Only in debug mode, without PUBLIC_URL, the address
    the browser used is taken, so `make run` links work on any port.
    """
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        if current_app.debug or current_app.testing:
            base = request.url_root
        else:
            base = "https://" + current_app.config["PUBLIC_HOST"]
    return base.rstrip("/") + path


def auth_session():
    """The signed-in browser's AuthSession row (set by the user loader)."""
    current_user._get_current_object()  # make sure the loader has run
    return g.get("auth_session")


def safe_next(target, default):
    """`target` when it is a path on this site, else `default`: an open redirect would let a link send users anywhere.

    Browsers drop tabs and newlines from URLs and read a backslash as a
    slash, so "/\t/evil.com" or "/\\evil.com" would leave the site too.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def add_vary(response, *names):
    """Add `names` to the response's Vary header, each once (any case).

    The same as `response.vary.add(name)` for each, which parses the header
    into a set and writes it back per name (about 7 µs each, three a page).
    """
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = ", ".join(names)
        return
    present = {part.strip().lower() for part in current.split(",")}
    missing = [name for name in names if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([current, *missing])


MAX_CACHED_URLS = 500  # far above a site's links times its one or two script roots


def install_cached_url_for(app):
    """Templates' `url_for`: a link with no values, or a static file's, is built once per process.

    Each page builds a dozen such links (the stylesheet, the scripts, the
    header's), each about 10 µs of Werkzeug's URL building. Only those two
    kinds are kept, so the cache stays as small as the set of templates; a
    link with other values (`next=...`) is built each time. The key holds
    the request's script root, the one part of a relative link that comes
    from the request. A client can choose that root (gunicorn takes a
    SCRIPT_NAME header from a trusted forwarder, and Caddy passes one on), so
    the cache is emptied when it reaches MAX_CACHED_URLS: new roots without
    end cost rebuilding, never memory.
    """
    built = {}

    def cached_url_for(endpoint, **values):
        if (endpoint.startswith(".") or (values and not (endpoint == "static" and list(values) == ["filename"]))
                or not has_request_context()):
            return url_for(endpoint, **values)  # relative to the request's blueprint, values that vary, or no request
        key = (request.script_root, endpoint, values.get("filename"))
        url = built.get(key)
        if url is None:
            if len(built) >= MAX_CACHED_URLS:
                built.clear()
            url = built[key] = url_for(endpoint, **values)
        return url

    cached_url_for.cache = built  # for the tests
    app.jinja_env.globals["url_for"] = cached_url_for


def passkey_origins():
    """The origins a passkey response may come from (twostep/passkeys.py checks the browser's against them).

    PASSKEY_ORIGINS, else https://PUBLIC_HOST. Only in debug mode, without PASSKEY_ORIGINS, the origin
    the browser used counts too when its host is PUBLIC_HOST, so `make run` works on http://localhost:5000.
    """
    configured = current_app.config.get("PASSKEY_ORIGINS")
    if configured:
        return tuple(origin.strip().rstrip("/") for origin in configured.split(",") if origin.strip())
    host = current_app.config["PUBLIC_HOST"]
    origins = ("https://" + host,)
    if current_app.debug and request.host.split(":")[0] == host:
        origins += (request.host_url.rstrip("/"),)
    return origins
