# Gongjian (共建) — build and run.
#
#   make run    demo on SQLite + a filesystem broker: web server and one Celery worker with beat
#   make test   the test suite (SQLite/in-memory by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
#
# Needs only Python 3.11, Node.js (with npm) and make. Every step is guarded by a stamp file, so running a
# target again only redoes what changed (pyproject.toml, package-lock.json, the .po files).

SHELL := /bin/sh
.DEFAULT_GOAL := help

# The interpreter that creates the virtualenv: python3.11 when there is one, else python3.
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALL_STAMP := $(VENV)/.installed

NPM_STAMP := node_modules/.npm-ci-stamp
ASSETS_STAMP := static/vendor/.copied

# Settings read DATA_DIR from the environment too; keep both pointing at the same folder.
DATA_DIR ?= data
DEMO_STAMP := $(DATA_DIR)/.demo-loaded

PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

PYTEST_ARGS ?=

.PHONY: help venv install assets messages run test lint

help:
	@echo "make run      start the demo at http://127.0.0.1:8000 (Ctrl-C stops it)"
	@echo "make test     run the tests (extra arguments: make test PYTEST_ARGS='-k roster -x')"
	@echo "make lint     ruff check + ruff format --check"
	@echo "make install  create $(VENV) and install the project with its test extras"
	@echo "make assets   install the pinned npm packages, copy them into static/vendor/ and build the custom ECharts"
	@echo "make messages compile locale/*/LC_MESSAGES/django.po into .mo files"

# --- Python -------------------------------------------------------------------------------------------

venv install: $(INSTALL_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[test]'
	touch $@

# --- Front-end assets (npm registry, never a CDN) -----------------------------------------------------

assets: $(ASSETS_STAMP)

$(NPM_STAMP): package-lock.json package.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js (with npm) first." >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# copy_assets.py is stdlib-only, so it does not wait for the virtualenv; it also runs esbuild (pinned in package.json)
# to make the custom ECharts build from scripts/echarts-entry.js.
$(ASSETS_STAMP): $(NPM_STAMP) scripts/copy_assets.py scripts/echarts-entry.js
	$(PYTHON) scripts/copy_assets.py
	touch $@

# --- Translations (polib, no gettext needed) ----------------------------------------------------------

messages: $(MO_FILES)

# One run of the command compiles every catalogue; the grouped target (&:) keeps make from running it once
# per .mo file. DEBUG=true only lets the settings load without production secrets.
ifneq ($(MO_FILES),)
$(MO_FILES) &: $(PO_FILES) $(INSTALL_STAMP)
	DEBUG=true $(PY) manage.py compiletranslations
	@for mo in $(MO_FILES); do \
		[ -f "$$mo" ] || { echo "compiletranslations did not write $$mo" >&2; exit 1; }; touch "$$mo"; \
	done
endif

# --- Run, test, lint ----------------------------------------------------------------------------------

# Demo data is loaded once (seed_demo is idempotent anyway); delete $(DEMO_STAMP) to load it again. A stamp
# left behind by a deleted (or empty) SQLite file is dropped so the fresh database gets its demo data.
run: install assets messages
	@mkdir -p $(DATA_DIR)
	@if [ -z "$${DATABASE_URL:-}" ] && [ ! -s $(DATA_DIR)/gongjian.sqlite3 ]; then rm -f $(DEMO_STAMP); fi
	DEBUG=true $(PY) manage.py migrate --noinput
	@if [ -f $(DEMO_STAMP) ]; then \
		echo "Demo data already loaded (rm $(DEMO_STAMP) to load it again)."; \
	else \
		echo "DEBUG=true $(PY) manage.py seed_demo" && DEBUG=true $(PY) manage.py seed_demo && touch $(DEMO_STAMP); \
	fi
	exec env DEBUG=true $(PY) scripts/run_demo.py

test: install assets messages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	exit $$status
