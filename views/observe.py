"""Per request: an id for the logs and the error page, and the latency metric by route.

The id is new for every request (16 hex digits), unless TRUSTED_PROXIES is
set and the proxy sent an `X-Request-ID` that looks like one (nginx's
$request_id): then the proxy's log and ours share it. It goes back in the
`X-Request-ID` response header. The latency is labelled with the route's
pattern (`/signin/passcode`, not the path a client typed) so the number of
series stays bounded; requests that match no route share "unmatched".
"""
import secrets
import time

from flask import g, request

from core import logs
from core import metrics


def register_request_observer(app):
    trust_forwarded_id = bool(app.config.get("TRUSTED_PROXIES"))

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        forwarded = request.headers.get("X-Request-ID", "") if trust_forwarded_id else ""
        g.request_id = forwarded if logs.FORWARDED_ID.match(forwarded) else secrets.token_hex(8)
        g.request_id_token = logs.request_id.set(g.request_id)

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.observe_request(route, request.method, response.status_code, time.perf_counter() - started)
        return response

    @app.teardown_request
    def _forget(_exc):
        token = g.pop("request_id_token", None)
        if token is not None:
            logs.request_id.reset(token)
