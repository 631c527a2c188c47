# CertifiKation — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := CERTIFIKATION_ENV=development $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-test browser migrate seed lint format worker cron clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: install, migrate the SQLite database, load demo data, serve on http://127.0.0.1:5000
## (HOST and PORT change where; links in PDFs, e-mails and shares follow the server serving).
run: install
	$(FLASK) db upgrade
	CERTIFIKATION_SERVER_URL=http://$(HOST):$(PORT) $(FLASK) seed-demo
	@echo "Serving CertifiKation on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	CERTIFIKATION_SERVER_URL=http://$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

migrate: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo

## A Chromium for Playwright: Debian's package when root on Debian, else Playwright's download.
browser: install-test
	@if [ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1; then \
	  echo "Using Chromium at $${CHROMIUM_PATH:-$$(command -v chromium)}"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  $(VENV)/bin/playwright install chromium; \
	fi

## make test: test dependencies, a browser, the whole suite (SQLite, jobs in-process;
## TEST_DATABASE_URL / TEST_REDIS_URL switch to PostgreSQL / Redis).
test: install-test browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: the benchmarks of bench/ (every bench_*.py module), under a minute
bench: install-test
	$(PY) -m bench

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	CERTIFIKATION_SERVER_URL=$${CERTIFIKATION_SERVER_URL:-http://$(HOST):$(PORT)} CERTIFIKATION_ENV=$${CERTIFIKATION_ENV:-development} $(VENV)/bin/rq worker --url "$$REDIS_URL" default pdf mail scheduled

cron: install
	CERTIFIKATION_ENV=$${CERTIFIKATION_ENV:-development} $(VENV)/bin/rq cron --url "$$REDIS_URL" webapp.jobs.cron_config

clean:
	rm -rf $(VENV) instance/certifikation.db
