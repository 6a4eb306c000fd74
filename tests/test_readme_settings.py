"""The README's settings table lists every setting config.py reads, with its default."""
import os
import re

from config import SETTINGS

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def test_every_setting_is_in_the_readme_table_with_its_default():
    with open(README, encoding="utf-8") as handle:
        rows = dict(re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]*)` \|", handle.read(), re.MULTILINE))
    for name, _kind, default, _meaning in SETTINGS:
        expected = "(unset)" if default is None else {True: "1", False: "0"}.get(default, str(default))
        assert rows.get(name) == expected, name
