"""Screenshots of every gallery entry at phone and desktop width, in English and Japanese.

For designers after a CSS change (README, "Restyling"):

    make gallery-shots            # or: .venv/bin/python gallery_shots.py [OUTPUT_DIR]

It starts the app on a random free port of 127.0.0.1 (testing mode, a
throw-away SQLite file), opens each /dev/gallery entry in Chromium (Debian's
`chromium`, or CHROMIUM_PATH) with Playwright at 375 px and 1280 px wide, in
both languages, and writes PNG files to test-artifacts/gallery/ (or
OUTPUT_DIR). It also prints each entry that scrolls sideways at 375 px, the
most common phone-layout slip. Needs the test requirements (make test
installs them).
"""
import os
import shutil
import sys
import tempfile
import threading

from werkzeug.serving import make_server

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
LANGUAGES = ("en", "ja")


def start_app():
    """The app in testing mode on a free port; returns (base_url, server)."""
    from app import create_app

    folder = tempfile.mkdtemp(prefix="gallery-")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/gallery.sqlite3",
                      "SECRET_KEY": "gallery-screenshots-only-not-a-real-secret-key"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server, app


def chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def main(output="test-artifacts/gallery"):
    from playwright.sync_api import sync_playwright

    from views.gallery import entries

    base, server, app = start_app()
    with app.test_request_context():
        slugs = list(entries())
    os.makedirs(output, exist_ok=True)
    overflowing = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            for language in LANGUAGES:
                for name, (width, height) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height}, locale=language,
                                                  extra_http_headers={"Accept-Language": language})
                    page = context.new_page()
                    for slug in slugs:
                        page.goto(f"{base}/dev/gallery/{slug}")
                        page.screenshot(path=os.path.join(output, f"{slug}.{language}.{name}.png"), full_page=True)
                        if name == "phone" and page.evaluate(
                                "document.documentElement.scrollWidth > document.documentElement.clientWidth"):
                            overflowing.append(f"{slug} ({language})")
                    context.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"{len(slugs) * len(WIDTHS) * len(LANGUAGES)} screenshots in {output}/")
    for entry in overflowing:
        print(f"scrolls sideways at 375 px: {entry}")
    return 1 if overflowing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
