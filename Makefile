# Kundeportalen: `make run` serves the portal on http://127.0.0.1:8050, `make test` runs every test,
# `make test-fast` the inner loop (SQLite only, no browser, no production test).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8050
SIZES ?= 100000,1000000,10000000
# Sizes on PostgreSQL (the production path; empty = no PostgreSQL row). The server is BENCH_PG_URL's
# (default: postgresql+psycopg://postgres@127.0.0.1:5432/postgres); without PostgreSQL the row is skipped.
PG_SIZES ?= 10000000
# Page loads per page and size in headless Chromium (benchmarks/page_ready.py), after 3 warm-up loads.
PAGE_RUNS ?= 15
# Two pytest-xdist workers (the machines have 2 cores); `make test PYTEST_N=` runs in one process.
PYTEST_N ?= -n 2
AXE := node_modules/axe-core/axe.min.js
export FLASK_APP := app

.PHONY: run test test-fast venv deps dev-deps axe migrate seed bench loadtest clean

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

# axe-core (npm) for the accessibility checks of the browser tests; without npm they are skipped.
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "[make test] ADVARSEL: npm mangler, så axe-core kan ikke installeres; browsertestene springes over (apt-get install nodejs npm)."; \
	fi
axe: $(AXE)

migrate: deps
	$(PY) -m flask --app app init-db

seed: migrate
	@if [ -f data/demo.py ]; then \
		$(PY) -m flask --app app seed-demo --if-empty; \
	else \
		echo "Demodata-indlæseren (data/demo.py) findes ikke endnu; portalen starter med en tom database."; \
	fi

# The background worker (mail queue, case imports from the browser) runs beside the web server and
# stops with it.
run: seed
	@echo "Kundeportalen kører på http://127.0.0.1:$(PORT) (stop med Ctrl+C)."
	@$(PY) -m flask --app app worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	PORT=$(PORT) $(PY) app.py

# PostgreSQL and Redis are used where they answer (scripts/probe_services.py says which, and what
# is skipped without them); the whole SQLite suite runs either way.
test: dev-deps axe
	@services="$$($(PY) scripts/probe_services.py)" || exit 1; \
	eval "$$services"; \
	echo "[make test] lint-imports (lagdelingen i pyproject.toml)"; \
	$(VENV)/bin/lint-imports --no-cache >/dev/null || { $(VENV)/bin/lint-imports --no-cache; exit 1; }; \
	echo "[make test] $(PY) -m pytest $(PYTEST_N) $(PYTEST_ARGS)"; \
	$(PY) -m pytest $(PYTEST_N) $(PYTEST_ARGS)

# The inner loop: SQLite only (TEST_DATABASE_URL and REDIS_URL unset even when exported), no
# browser and no gunicorn production test, so it needs neither services nor Chromium nor npm.
test-fast: dev-deps
	@echo "[make test-fast] $(PY) -m pytest -n 2 -m \"not browser and not production\" $(PYTEST_ARGS)"
	@env -u TEST_DATABASE_URL -u REDIS_URL $(PY) -m pytest -n 2 -m "not browser and not production" $(PYTEST_ARGS)

bench: dev-deps
	@if [ -f benchmarks/run.py ]; then \
		$(PY) -m benchmarks.run --sizes $(SIZES) --pg-sizes "$(PG_SIZES)" && \
		$(PY) -m benchmarks.page_ready --sizes $(SIZES) --pg-sizes "$(PG_SIZES)" --runs $(PAGE_RUNS); \
	else \
		echo "benchmarks/run.py findes ikke endnu; intet at måle."; \
	fi

# The load test of the production set-up (gunicorn with 4 workers + PostgreSQL + Redis, loopback
# only): LOAD_DURATION seconds at the first level, LOAD_STEP_DURATION at each further level, until
# p95 passes 1 s. Writes benchmarks/LOAD.md and benchmarks/load.json. Short smoke run:
# `make loadtest LOAD_DURATION=30 LOAD_LEVELS=20 LOAD_CASES=10000`.
LOAD_CASES ?= 1000000
LOAD_LEVELS ?= 50,100,150,200,300,400,600
LOAD_DURATION ?= 300
LOAD_STEP_DURATION ?= 60
LOAD_SPAWN_RATE ?= 10
LOAD_THINK ?= 1,3
LOAD_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
LOAD_DATABASE ?= kundeportal_load
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/12
LOAD_ARGS ?=
loadtest: dev-deps
	$(PY) -m benchmarks.load --pg-url $(LOAD_PG_URL) --database $(LOAD_DATABASE) --redis-url $(LOAD_REDIS_URL) \
		--cases $(LOAD_CASES) --levels $(LOAD_LEVELS) --duration $(LOAD_DURATION) \
		--step-duration $(LOAD_STEP_DURATION) --spawn-rate $(LOAD_SPAWN_RATE) --think $(LOAD_THINK) $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
