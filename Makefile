# Concierge — `make run` to try it, `make test` to test it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

export DEBUG ?= 1

.PHONY: run test setup migrate lint format bench e2e clean-db i18n

$(PY):
	@PYTHON=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$PYTHON"; \
	$$PYTHON -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)
	@mkdir -p var
	$(PY) manage.py compilemessages --ignore=.venv -v 0
	$(PY) manage.py migrate --noinput -v 0

i18n: $(STAMP)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

run: setup
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py seed_demo
	scripts/run-dev

test: $(STAMP) i18n
	DEBUG=0 $(VENV)/bin/pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

e2e: $(STAMP) i18n
	@test -x /usr/bin/chromium || (echo "Install Chromium first: apt-get install -y chromium" && exit 1)
	DEBUG=0 $(VENV)/bin/pytest -q e2e -p no:xdist $(PYTEST_ARGS)

bench: setup
	DEBUG=0 $(PY) bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-db:
	rm -f var/concierge.sqlite3*
