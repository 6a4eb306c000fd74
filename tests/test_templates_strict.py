"""Under TESTING, a template that reads a variable its view never passed fails the test (StrictUndefined)
instead of quietly showing nothing; the gallery and the views pass every variable their templates list."""
import jinja2
import pytest


def test_an_undefined_template_variable_fails_under_testing(app):
    with app.app_context():
        with pytest.raises(jinja2.UndefinedError):
            app.jinja_env.from_string("{{ not_passed }}").render()
        assert app.jinja_env.from_string("{{ passed | default('-') }}").render() == "-"
