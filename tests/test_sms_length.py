"""Every language's passcode SMS fits in one part: each part is billed as one SMS.

With the default site name and a host of 30 characters (the origin-bound
line `@host #code` is the message's last line), for every language the app
has and every passcode lifetime up to 10 minutes.
"""
import pathlib

import pytest

from sms.vonage import message_parts, message_type
from twostep.challenges import passcode_message
from twostep.policy import Policy

ROOT = pathlib.Path(__file__).resolve().parent.parent
LANGUAGES = ["en"] + sorted(p.name for p in (ROOT / "translations").iterdir() if (p / "LC_MESSAGES").is_dir())
HOST = "signin.streaming-example.co.jp"  # 30 characters


def test_every_language_is_tested():
    assert HOST and len(HOST) == 30
    assert {"en", "ja"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("minutes", [1, 5, 10])
def test_the_passcode_sms_fits_one_part(language, minutes):
    policy = Policy(passcode_key=b"k", public_host=HOST, passcode_ttl=minutes * 60)
    text = passcode_message(policy, "123456", language)
    assert text.endswith(f"\n@{HOST} #123456")
    assert message_parts(text) == 1, (language, message_type(text), len(text), text)


def test_japanese_goes_as_unicode_and_english_as_gsm_text():
    policy = Policy(passcode_key=b"k", public_host=HOST)
    assert message_type(passcode_message(policy, "123456", "en")) == "text"
    assert message_type(passcode_message(policy, "123456", "ja")) == "unicode"


def test_parts_follow_the_sms_limits():
    assert message_parts("a" * 160) == 1
    assert message_parts("a" * 161) == 2  # 153 a part once split
    assert message_parts("a" * 306) == 2 and message_parts("a" * 307) == 3
    assert message_parts("€" * 80) == 1 and message_parts("€" * 81) == 2  # the extension table takes two septets
    assert message_parts("あ" * 70) == 1
    assert message_parts("あ" * 71) == 2  # 67 a part once split
    assert message_parts("あ" * 134) == 2 and message_parts("あ" * 135) == 3
    assert message_parts("😀" * 35) == 1 and message_parts("😀" * 36) == 2  # two UCS-2 units each
