# Circle: two commands do all the set-up.
#   make run   set up, upgrade the SQLite database, load the demo, serve on http://127.0.0.1:5000
#   make test  install what the tests need, lint, run the suite on SQLite and on PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv (from PyPI, into the venv) installs the packages: the same wheels as pip, four times faster.
UV = $(BIN)/python -m uv pip install --quiet --python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install lint test-sqlite test-postgres translations extract-messages system-deps localstripe demo clean

run: install translations
	CIRCLE_ENV=development $(BIN)/flask db upgrade
	CIRCLE_ENV=development $(BIN)/flask circle demo
	@# The worker (mail outbox, scheduled jobs) runs beside the web server and stops with it.
	CIRCLE_ENV=development $(BIN)/flask circle worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  CIRCLE_ENV=development $(BIN)/flask run --host $(HOST) --port $(PORT)

# The two passes run side by side (one core each) and print their output one after the other.
test: install system-deps localstripe translations lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	  || { echo "Installing python3-venv ..."; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.5'
	$(UV) $(BIN)/python -e '.[test]'
	touch $(STAMP)

# Debian packages the tests use: Chromium for the browser tests, redis-server for the test
# of rate limits shared by two workers (it starts its own server when none listens on
# 6379); PostgreSQL is provisioned by scripts/with-postgres.sh (local server, or a
# throwaway cluster it installs if needed).
system-deps:
	@command -v $${CHROMIUM_PATH:-chromium} >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests ..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }
	@command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || { \
	  echo "Installing Debian's redis-server for the shared rate-limit test ..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server; }

# localstripe (a fake, stateful Stripe server for the subscription test) lives in its own
# venv: its pinned dependencies stay out of the app's.
LOCALSTRIPE_VENV := .venv-localstripe
export LOCALSTRIPE_PYTHON := $(CURDIR)/$(LOCALSTRIPE_VENV)/bin/python

localstripe: $(LOCALSTRIPE_VENV)/.installed

$(LOCALSTRIPE_VENV)/.installed: $(STAMP)
	test -x $(LOCALSTRIPE_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(LOCALSTRIPE_VENV)
	$(UV) $(LOCALSTRIPE_VENV)/bin/python 'localstripe>=1.15'
	touch $@

translations: install
	$(BIN)/pybabel -q compile -d circle/translations

extract-messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o circle/translations/messages.pot .
	$(BIN)/pybabel -q update -w 100 -i circle/translations/messages.pot -d circle/translations --no-fuzzy-matching --ignore-obsolete

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r circle -c pyproject.toml
	$(BIN)/lint-imports --no-cache

test-sqlite: install localstripe
	env -u TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: install localstripe
	scripts/with-postgres.sh $(BIN)/pytest -q

demo: install translations
	CIRCLE_ENV=development $(BIN)/flask db upgrade
	CIRCLE_ENV=development $(BIN)/flask circle demo

clean:
	rm -rf $(VENV) $(LOCALSTRIPE_VENV) instance .pytest_cache .ruff_cache
