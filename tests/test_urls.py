"""Every public URL stays where it is: bookmarks, links in e-mails and the browser journeys depend on them.

Blueprints and modules may be renamed and regrouped; the URL map (paths and
methods) may only grow, and only on purpose.
"""
from conftest import make_test_app

URLS = [
    ("/", ['GET']),
    ("/account", ['GET']),
    ("/account/activity", ['GET']),
    ("/account/time-zone", ['POST']),  # issue 14
    ("/dashboard", ['GET']),
    ("/dev/gallery", ['GET']),
    ("/dev/gallery/<slug>", ['GET']),
    ("/dev/mail", ['GET']),
    ("/dev/outbox", ['GET']),
    ("/healthz", ['GET']),  # issue 17: probes and metrics for the operator's tools
    ("/help", ['GET']),
    ("/help/<slug>", ['GET']),
    ("/help/<slug>/vote", ['POST']),
    ("/language/<code>", ['GET']),
    ("/metrics", ['GET']),
    ("/readyz", ['GET']),
    ("/reauth", ['GET', 'POST']),
    ("/signin", ['GET', 'POST']),
    ("/signin/another-method", ['GET']),
    ("/signin/passcode", ['GET', 'POST']),
    ("/signin/recovery", ['GET', 'POST']),
    ("/signin/recovery/kept", ['GET', 'POST']),
    ("/signin/resend", ['POST']),
    ("/signout", ['POST']),
    ("/signup", ['GET', 'POST']),
    ("/static/<path:filename>", ['GET']),
    ("/two-step/<purpose>/passcode", ['GET', 'POST']),
    ("/two-step/<purpose>/resend", ['POST']),
    ("/two-step/confirm", ['GET', 'POST']),
    ("/two-step/enable", ['GET', 'POST']),
    ("/two-step/number", ['GET', 'POST']),
    ("/two-step/off", ['GET', 'POST']),
    ("/two-step/passcode", ['GET', 'POST']),
    ("/two-step/phone", ['GET', 'POST']),
    ("/two-step/recovery", ['GET', 'POST']),
    ("/two-step/recovery-code", ['GET', 'POST']),
    ("/two-step/resend", ['POST']),
    ("/two-step/unsubscribe", ['GET', 'POST']),
    # Issue 14: the step-up before a sensitive change (views/step_up.py).
    ("/two-step/verify", ['GET', 'POST']),
    ("/two-step/verify/passcode", ['GET', 'POST']),
    ("/two-step/verify/recovery", ['GET', 'POST']),
    ("/two-step/verify/resend", ['POST']),
]


def test_the_url_map_is_unchanged(tmp_path):
    app = make_test_app(tmp_path)
    served = sorted((rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules())
    assert served == sorted(URLS)
