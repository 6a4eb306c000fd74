"""The web layer: one blueprint per area, each a thin layer over the rules.

Views read the form, call accounts.py or twostep/, and answer with a page
(plain request) or the page's `main` block (htmx request) through
views/htmx.py. They never decide a rule themselves.
"""


def register_blueprints(app):
    from views import account, auth, dev, email, gallery, help_pages, main, password, second_step, settings, two_step

    for module in (main, auth, second_step, account, two_step, settings, help_pages, password, email):
        app.register_blueprint(module.bp)
    if app.debug or app.testing:
        # The outbox shows passcodes and the gallery sample data: never served outside debug and tests.
        app.register_blueprint(dev.bp)
        app.register_blueprint(gallery.bp)
