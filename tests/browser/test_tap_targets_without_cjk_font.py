"""Tap targets hold by CSS, not by a font: every gallery page in Japanese on a 375 px phone, in a
Chromium that has no CJK font at all.

A fresh machine (and many phones) may have no font with Japanese glyphs: the
text is then drawn with a narrow fallback and a label such as 日本語 shrinks.
Here Chromium's fontconfig sees one directory holding only DejaVu fonts (no
CJK glyphs), whatever the machine has installed, and the test checks that the
Japanese text really is drawn without a CJK font (Chromium's own report of
the fonts used), then runs the phone checks of every journey (tap targets of
44x44 px, no sideways scrolling at 375 and 320 px, no console error).
"""
import glob
import os

import pytest

from .support import Tab, phone_args

# Fonts that every Chromium install on Debian brings (fonts-dejavu-core, via fontconfig): no CJK glyphs.
LATIN_FONTS = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf"))
CJK_FAMILY_WORDS = ("cjk", "noto sans jp", "gothic", "mincho", "droid sans fallback", "wenquanyi", "ipa")


@pytest.fixture(scope="module")
def browser_without_cjk(playwright, browser_type_launch_args, tmp_path_factory):
    if not LATIN_FONTS:
        pytest.fail("no DejaVu fonts under /usr/share/fonts/truetype/dejavu (Debian's fonts-dejavu-core)")
    folder = tmp_path_factory.mktemp("fonts-without-cjk")
    fonts = folder / "fonts"
    fonts.mkdir()
    for path in LATIN_FONTS:
        os.symlink(path, fonts / os.path.basename(path))
    config = folder / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{folder / "cache"}</cachedir></fontconfig>
""", encoding="utf-8")
    browser = playwright.chromium.launch(**browser_type_launch_args,
                                         env={**os.environ, "FONTCONFIG_FILE": str(config)})
    yield browser
    browser.close()


def gallery_slugs(app):
    from views.gallery import entries

    with app.test_request_context():
        return list(entries())


def fonts_drawing(page, selector):
    """The platform fonts Chromium used to draw the text of `selector` (DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    return [font["familyName"] for font in fonts]


def test_every_japanese_page_keeps_44px_tap_targets_without_a_cjk_font(browser_without_cjk, playwright,
                                                                        live_server, base_url):
    from .conftest import CSP_LISTENER

    context = browser_without_cjk.new_context(**phone_args(playwright.devices), base_url=base_url,
                                              extra_http_headers={"Accept-Language": "ja"})
    context.add_init_script(CSP_LISTENER)
    context.set_default_timeout(10_000)
    tab = Tab(context.new_page(), "no-cjk-font", "phone", js=True)
    page = tab.page

    page.goto("/signin")
    switcher = 'a[hreflang="ja"]'
    assert page.locator(switcher).inner_text() == "日本語"
    used = fonts_drawing(page, switcher)
    assert used and not any(word in family.lower() for family in used for word in CJK_FAMILY_WORDS), used

    slugs = gallery_slugs(live_server.app)
    assert len(slugs) > 20  # every page and state the app has
    for slug in slugs:
        page.goto(f"/dev/gallery/{slug}")
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "ja", slug
        tab.assert_no_problems()
        tab.assert_phone_layout(f"{slug} (ja, no CJK font)")
    tab.finish()
    context.close()
