# The two commands of the README:
#   make run   set everything up and serve the app on http://127.0.0.1:5000 (SQLite, SMS outbox)
#   make test  set everything up and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app app

.PHONY: run test install install-dev browser-deps proxy-deps clean translations translations-update gallery-shots

# Compiled translation catalogs (.mo, committed too); rebuilt here whenever a .po is newer.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k N_ -k N_plural:1,2 -k _l

# Installed once per change of the requirements files (the stamp files record it).
$(VENV)/.runtime-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

run: install translations
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) demo
	@echo "Serving on http://127.0.0.1:5000 (SMS go to http://127.0.0.1:5000/dev/outbox, e-mails to /dev/mail)"
	$(FLASK) run --debug --no-debugger --host 127.0.0.1 --port 5000

# Debian packages the suite uses: Chromium for the browser tests, faketime for .ci/run's runs at other
# hours of the day. Installed when we can (root with apt); otherwise the browser tests are skipped with the reason.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM_PATH" ] || missing="chromium"; \
	command -v faketime >/dev/null 2>&1 || missing="$$missing faketime"; \
	[ -z "$$missing" ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } ; } || \
	  echo "Could not install$$missing: browser tests will be skipped."

# The deploy test runs the shipped nginx site in front of gunicorn: Debian's nginx, installed the same way.
# (On a machine running systemd, the package also starts nginx's default site on port 80.)
proxy-deps:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx >/dev/null; } ; } || \
	  echo "nginx could not be installed: the nginx deploy test will be skipped."

test: install-dev browser-deps proxy-deps translations
	$(PY) -m pytest $(PYTEST_ARGS)

translations: $(CATALOGS)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.runtime-installed
	$(VENV)/bin/pybabel compile -i $< -o $@

# After changing text in templates or code: refresh the catalogs, translate the new entries
# in translations/*/LC_MESSAGES/messages.po, then `make translations` (tests/test_i18n.py checks all three).
translations-update: $(VENV)/.runtime-installed
	$(VENV)/bin/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-wrap --no-fuzzy-matching --ignore-obsolete

# Screenshots of every /dev/gallery entry at 375 px and 1280 px, English and Japanese (README, Restyling).
gallery-shots: install-dev browser-deps translations
	$(PY) gallery_shots.py test-artifacts/gallery

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
