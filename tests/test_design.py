"""What designers rely on: every template says which variables it uses, and colours,
spacing and type are CSS custom properties declared in one place (app.css :root)."""
import pathlib
import re

from jinja2 import meta

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
CSS = (ROOT / "static" / "css" / "app.css").read_text()
# Names every template may use without listing them (Flask, Flask-Login, Flask-WTF, Flask-Babel, views/i18n.py).
PROVIDED = {"request", "session", "g", "config", "current_user", "csrf_token", "get_flashed_messages", "url_for",
            "current_locale", "languages", "_", "gettext", "ngettext"}


def test_every_template_opens_with_a_comment_listing_its_variables(app):
    env = app.jinja_env
    provided = PROVIDED | set(env.globals)
    assert TEMPLATES
    for path in TEMPLATES:
        source = path.read_text()
        header = re.match(r"\{#-?(.*?)-?#\}", source, re.S)
        assert header, f"{path.name} does not start with a comment"
        comment = header.group(1)
        assert path.name == "_macros.html" or "Variables:" in comment, path
        used = {n for n in meta.find_undeclared_variables(env.parse(source)) - provided if not n.startswith("_")}
        missing = sorted(name for name in used if not re.search(rf"\b{name}\b", comment))
        assert not missing, f"{path.relative_to(ROOT)} uses {missing} without listing them"


def _rules_outside_root():
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S)
    assert root, "app.css has no :root block"
    declared = set(re.findall(r"(--[\w-]+)\s*:", root.group(1)))
    rest = CSS[:root.start()] + CSS[root.end():]
    rest = re.sub(r"/\*.*?\*/", "", rest, flags=re.S)
    return declared, rest


def test_colours_and_type_are_custom_properties_declared_in_root():
    declared, rest = _rules_outside_root()
    assert {"--color-primary", "--color-text", "--font-body", "--font-size", "--space-3"} <= declared
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgb|rgba|hsl|hsla)\(", rest), "a colour outside :root"
    for prop in ("font-size", "font-family", "color", "background", "border-color"):
        for value in re.findall(rf"(?<![\w-]){prop}\s*:\s*([^;}}]+)", rest):
            value = value.strip()
            assert value.startswith("var(--") or value in {"inherit", "none", "transparent", "100%"}, (prop, value)
    used = set(re.findall(r"var\((--[\w-]+)", rest))
    assert used <= declared, f"used but not declared in :root: {sorted(used - declared)}"
    assert not re.findall(r"--[\w-]+\s*:", rest), "a custom property declared outside :root"


def test_spacing_uses_the_spacing_scale():
    _, rest = _rules_outside_root()
    for prop in ("margin", "padding", "gap", "margin-bottom", "margin-left", "margin-top", "padding-top"):
        for value in re.findall(rf"(?<![\w-]){prop}\s*:\s*([^;}}]+)", rest):
            for part in value.split():
                assert part in {"0", "auto"} or part.startswith("var(--space-"), (prop, value)


def test_only_one_stylesheet():
    sheets = sorted(p.name for p in (ROOT / "static").rglob("*.css"))
    assert sheets == ["app.css"]
    assert not any("style=" in p.read_text() or "<style" in p.read_text() for p in TEMPLATES)
