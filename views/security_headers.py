"""Headers on every response (docs/security.md, "Requests and pages").

The Content-Security-Policy allows no inline script or style at all, which is
why behaviour lives in static/js/app.js and looks in static/css/. Pages are
personal, so nothing but static files may be stored by a browser or proxy.
"""
from flask import request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def register_security_headers(app):
    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response
