# Kassa: `make help` lists the targets.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv run --frozen
# --no-install: without the pinned tools in node_modules (scripts/bootstrap.sh --test), npx would
# fetch unrelated npm packages that happen to be called "tsc" and "biome".
NPX := npx --no-install

.PHONY: help demo test check lint types test-py test-pg test-js test-browser fuzz bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

demo: ## run the demo: server + proxy with virtual devices + demo shop, on SQLite
	@scripts/bootstrap.sh
	$(UV) kassa demo

test: ## the whole suite: lint, types, Python on SQLite and PostgreSQL, JavaScript, browser
	@scripts/bootstrap.sh --test
	$(MAKE) --no-print-directory check test-py test-pg test-js test-browser

check: lint types ## lint, format check, types, migrations check

lint: ## ruff lint and format check; biome format and lint check of the JavaScript
	$(UV) ruff check .
	$(UV) ruff format --check .
	$(NPX) biome check --error-on-warnings

types: ## mypy, tsc on the terminal's JSDoc types, and no model change without its migration
	$(UV) mypy
	$(NPX) tsc -p jsconfig.json
	$(UV) kassa manage makemigrations --check --dry-run

test-py: ## Python tests on SQLite (browser tests excluded)
	$(UV) pytest -m "not browser" -p no:cacheprovider

test-pg: ## Python server tests on a throw-away PostgreSQL server
	$(UV) python scripts/pg_temp.py -- pytest -m "not browser" -p no:cacheprovider tests/server

test-js: ## the terminal's pure JavaScript with node --test
	node --test tests/terminal/

test-browser: ## end-to-end tests in headless Debian chromium
	$(UV) pytest -m browser -p no:cacheprovider

fuzz: ## the API fuzz tests at length (random seeds, 300 examples an operation), SQLite then PostgreSQL
	KASSA_FUZZ_EXAMPLES=$${KASSA_FUZZ_EXAMPLES:-300} KASSA_FUZZ_RANDOM=1 \
		$(UV) pytest -p no:cacheprovider tests/server/test_fuzz.py tests/proxy/test_fuzz.py
	KASSA_FUZZ_EXAMPLES=$${KASSA_FUZZ_EXAMPLES:-300} KASSA_FUZZ_RANDOM=1 \
		$(UV) python scripts/pg_temp.py -- pytest -p no:cacheprovider tests/server/test_fuzz.py

bench: ## all benchmarks (figures go to docs/performance.md by hand)
	$(UV) python scripts/pg_temp.py -- python -m bench
