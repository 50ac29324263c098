# Kundeportalen: `make run` serves the portal on http://127.0.0.1:8050, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8050
SIZES ?= 100000,1000000,10000000
export FLASK_APP := app

.PHONY: run test venv deps dev-deps migrate seed bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt $(VENV)/bin/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

migrate: deps
	$(PY) -m flask --app app init-db

seed: migrate
	$(PY) -m flask --app app seed-demo --if-empty

run: seed
	PORT=$(PORT) $(PY) app.py

test: dev-deps
	$(PY) -m pytest $(PYTEST_ARGS)

bench: dev-deps
	$(PY) -m benchmarks.run --sizes $(SIZES)

clean:
	rm -rf $(VENV) instance .pytest_cache
