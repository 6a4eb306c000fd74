"""The web layer: one blueprint per area of the help article, each a thin layer over the rules.

Views read the form, call accounts/ or twostep/, and answer with a page
(plain request) or the page's `main` block (htmx request) through
views/htmx.py. They never decide a rule themselves, and never touch the
models: tests/test_layers.py checks it.
"""
from flask import Blueprint


def register_blueprints(app):
    from views import account, dev, email, help, ops, password, settings, setup, signin, step_up

    # /two-step has one owner: its two areas, the set-up wizard and the settings after it, are its children
    # (endpoints two_step.setup.* and two_step.settings.*; the step-up before a sensitive change: two_step.step_up.*).
    two_step = Blueprint("two_step", __name__, url_prefix="/two-step")
    two_step.register_blueprint(setup.bp)
    two_step.register_blueprint(settings.bp)
    two_step.register_blueprint(step_up.bp)
    for blueprint in (account.bp, signin.bp, two_step, help.bp, ops.bp, password.bp, email.bp):
        app.register_blueprint(blueprint)
    if app.debug or app.testing:
        # The outboxes show passcodes and the gallery sample data: never served outside debug and tests.
        app.register_blueprint(dev.bp)
