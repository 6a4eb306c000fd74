# The two commands of the README:
#   make run   set everything up and serve the app on http://127.0.0.1:5000 (SQLite, SMS outbox)
#   make test  set everything up and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app app

.PHONY: run test install install-dev browser-deps clean

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

run: install
	FLASK_DEBUG=1 $(FLASK) db upgrade
	FLASK_DEBUG=1 $(FLASK) demo
	@echo "Serving on http://127.0.0.1:5000 (SMS go to http://127.0.0.1:5000/dev/outbox, e-mails to /dev/mail)"
	$(FLASK) run --debug --no-debugger --host 127.0.0.1 --port 5000

# Browser tests need Chromium from Debian; installed when we can (root with apt), skipped otherwise.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || [ -n "$$CHROMIUM_PATH" ] || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ; } || \
	  echo "Chromium could not be installed: browser tests will be skipped."

test: install-dev browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
