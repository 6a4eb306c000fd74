"""Real-browser tests: Playwright driving Debian's Chromium against the app served on 127.0.0.1."""
