"""Every public URL stays where it is: bookmarks, links in e-mails and the browser journeys depend on them.

Blueprints and modules may be renamed and regrouped; the URL map (paths and
methods) may only grow, and only on purpose.
"""
from conftest import make_test_app

URLS = [
    ("/", ['GET']),
    ("/account", ['GET']),
    ("/account/activity", ['GET']),
    ("/account/password", ['GET', 'POST']),
    ("/account/time-zone", ['POST']),  # issue 14
    ("/dashboard", ['GET']),
    ("/dev/gallery", ['GET']),
    ("/dev/gallery/<slug>", ['GET']),
    ("/dev/mail", ['GET']),
    ("/dev/outbox", ['GET']),
    ("/email/confirm", ['GET', 'POST']),
    ("/email/required", ['GET']),
    ("/email/resend", ['POST']),
    ("/healthz", ['GET']),  # issue 17: probes and metrics for the operator's tools
    ("/help", ['GET']),
    ("/help/<slug>", ['GET']),
    ("/help/<slug>/vote", ['POST']),
    ("/language/<code>", ['GET']),
    ("/password/forgot", ['GET', 'POST']),
    ("/password/forgot/sent", ['GET']),
    ("/password/reset", ['GET', 'POST']),
    ("/metrics", ['GET']),
    ("/readyz", ['GET']),
    ("/reauth", ['GET', 'POST']),
    ("/signin", ['GET', 'POST']),
    ("/signin/another-method", ['GET']),
    ("/signin/authenticator", ['GET', 'POST']),  # issue 16: the authenticator app's code
    ("/signin/passcode", ['GET', 'POST']),
    ("/signin/passkey", ['GET', 'POST']),  # issue 16: a passkey as the second step
    ("/signin/passkey/options", ['POST']),
    ("/signin/recovery", ['GET', 'POST']),
    ("/signin/recovery/kept", ['GET', 'POST']),
    ("/signin/resend", ['POST']),
    ("/signin/text-message", ['POST']),  # issue 16: "Try another method" -> SMS when none was sent yet
    ("/signout", ['POST']),
    ("/signup", ['GET', 'POST']),
    ("/signup/sent", ['GET']),
    ("/static/<path:filename>", ['GET']),
    ("/two-step/<purpose>/passcode", ['GET', 'POST']),
    ("/two-step/<purpose>/resend", ['POST']),
    ("/two-step/authenticator", ['GET', 'POST']),  # issue 16: add an authenticator app
    ("/two-step/authenticator/remove", ['GET', 'POST']),
    ("/two-step/confirm", ['GET', 'POST']),
    ("/two-step/enable", ['GET', 'POST']),
    ("/two-step/number", ['GET', 'POST']),
    ("/two-step/off", ['GET', 'POST']),
    ("/two-step/passcode", ['GET', 'POST']),
    ("/two-step/passkeys", ['GET', 'POST']),  # issue 16: add a passkey
    ("/two-step/passkeys/<int:passkey>/remove", ['GET', 'POST']),
    ("/two-step/passkeys/options", ['POST']),
    ("/two-step/phone", ['GET', 'POST']),
    ("/two-step/recovery", ['GET', 'POST']),
    ("/two-step/recovery-code", ['GET', 'POST']),
    ("/two-step/resend", ['POST']),
    ("/two-step/unsubscribe", ['GET', 'POST']),
    # Issue 14: the step-up before a sensitive change (views/step_up.py).
    ("/two-step/verify", ['GET', 'POST']),
    ("/two-step/verify/authenticator", ['GET', 'POST']),  # issue 16: the step-up with the app's code
    ("/two-step/verify/passcode", ['GET', 'POST']),
    ("/two-step/verify/passkey", ['GET', 'POST']),  # issue 16: the step-up with a passkey
    ("/two-step/verify/passkey/options", ['POST']),
    ("/two-step/verify/recovery", ['GET', 'POST']),
    ("/two-step/verify/resend", ['POST']),
]


def test_the_url_map_is_unchanged(tmp_path):
    app = make_test_app(tmp_path)
    served = sorted((rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules())
    assert served == sorted(URLS)
