"""The translation catalogs for text the rules write themselves (the SMS), without Flask.

The rules never ask a request which language to use: the caller passes the
locale as a plain value ("en", "ja"). The catalogs are the app's own
(translations/<locale>/LC_MESSAGES/messages.mo), read with Babel directly.
"""
import functools
import os

from babel.support import NullTranslations, Translations

DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


@functools.lru_cache(maxsize=8)
def catalog(locale):
    """The catalog for `locale` (English, the msgids themselves, when there is none)."""
    if not locale or str(locale) == "en":
        return NullTranslations()
    return Translations.load(DIRECTORY, [str(locale)])
