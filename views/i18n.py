"""Languages: English and Japanese with Flask-Babel, and the language switcher.

Which language a request gets, first match wins:
  1. the choice made with the switcher in the header (cookie `lang`, a year);
  2. the signed-in account's language (User.locale: the switcher's choice, saved on the account;
     also at sign-up when the switcher was used before);
  3. the browser's Accept-Language;
  4. English.

The rules (accounts/, twostep/) never translate: their errors carry a
message id and parameters, and `error_text()` here turns them into the
reader's language. Dates are formatted with Babel for the locale, in the
reader's time zone (chosen on the Account page, else the site's TIME_ZONE;
the zone is written after each time), and phone numbers in the national
format of the language's home region (JP for Japanese), masked as everywhere
else.
"""
from flask import Blueprint, abort, current_app, g, redirect, request
from flask_babel import Babel, get_locale, get_translations, gettext, ngettext
from flask_login import current_user

import accounts
from core.phones import format_phone, mask_phone
from core.translations import HOME_REGION, event_details, format_when
from views.web import add_vary, safe_next

LANGUAGES = {"en": "English", "ja": "日本語"}  # each named in itself: never translated
DEFAULT = "en"
COOKIE = "lang"
COOKIE_DAYS = 365

bp = Blueprint("language", __name__)


def chosen_locale():
    """The language picked with the switcher in this browser, or None."""
    chosen = request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else None


def select_locale():
    """The request's language (see the module docstring for the order)."""
    chosen = chosen_locale()
    if chosen:
        return chosen
    try:
        account = current_user.locale if current_user and current_user.is_authenticated else None
    except Exception:  # e.g. the database is down while an error page is made: that page must still render
        account = None
    if account in LANGUAGES:
        return account
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def locale():
    """The current language code, a plain value the rules can be given ("en", "ja")."""
    current = get_locale()
    return str(current) if current is not None else DEFAULT


def text(msgid, **params):
    """Translate a message id kept as a constant (marked with N_ where it is defined)."""
    return gettext(msgid, **params)


def error_text(error):
    """A rule's refusal (a `Refused`: TwoStepError, PhoneRejected or AccountError) in the reader's language."""
    params = dict(error.params)
    if isinstance(error.msgid, tuple):
        singular, plural = error.msgid
        return ngettext(singular, plural, params.pop("num"), **params)
    return gettext(error.msgid, **params)


_LANGUAGE_REGION = object()


def show_phone(e164, masked=False, region=_LANGUAGE_REGION):
    """A phone number for this reader: national format in the language's home region.

    `masked` keeps only the last 2 digits (everywhere outside the number's own
    entry field). `region=None` forces the international form.
    """
    home = HOME_REGION.get(locale()) if region is _LANGUAGE_REGION else region
    if masked:
        return mask_phone(e164, home)
    if not e164:
        return ""
    return format_phone(e164, home)


def time_zone():
    """The reader's time zone: the one chosen on the Account page, else the site's TIME_ZONE."""
    try:
        chosen = current_user.time_zone if current_user and current_user.is_authenticated else None
    except Exception:  # e.g. the database is down while an error page is made
        chosen = None
    return chosen or current_app.config.get("TIME_ZONE") or "UTC"


def when(moment):
    """A stored (UTC) datetime in the reader's zone and language, e.g. 'Dec 5, 2026, 22:00 JST'."""
    return format_when(moment, locale(), time_zone())


def details(event_details_data):
    """A security event's details, in the reader's language and time zone (core/translations.py)."""
    return event_details(event_details_data, locale(), time_zone())


def _translations():
    """This request's catalog: Flask-Babel's, looked up once per request.

    Flask-Babel's own template callables look it up again for every `_()`,
    walking `g` three times and formatting the locale each time (about 7 µs
    a call, some 15 calls a page: a fifth of a page's rendering). The
    request's language never changes half-way (nothing here forces another).
    """
    if not g:  # no app context: Flask-Babel's answer (English)
        return get_translations()
    translations = g.get("_i18n_translations")
    if translations is None:
        translations = g._i18n_translations = get_translations()
    return translations


def init_app(app):
    """Install Flask-Babel, the template helpers and the switcher."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    # One Babel per app: its catalog cache belongs to that app's translation directories.
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True)
    # {% trans %} blocks may span lines in templates; their msgids are the text with whitespace collapsed.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals.update(show_phone=show_phone, error_text=error_text)

    @app.context_processor
    def language_context():
        return {"current_locale": locale(), "languages": LANGUAGES}

    @app.after_request
    def vary_on_language(response):
        if request.endpoint != "static":
            add_vary(response, "Accept-Language", "Cookie")
        return response

    app.register_blueprint(bp)


@bp.get("/language/<code>")
def switch(code):
    """The switcher in the header: remember the language chosen, then back to the same page.

    A plain link (it works without JavaScript). The cookie is all it sets for
    a link followed from another site; the account's language changes only
    for a click on this site (Sec-Fetch-Site, else the Referer), so a foreign
    page cannot change it.
    """
    if code not in LANGUAGES:
        abort(404)
    if current_user.is_authenticated and _from_this_site():
        accounts.set_locale(current_user.id, code)
    response = redirect(safe_next(request.args.get("next"), "/"), code=303)
    response.set_cookie(COOKIE, code, max_age=COOKIE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _from_this_site():
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referrer = request.referrer or ""
    return referrer.startswith(request.host_url)
