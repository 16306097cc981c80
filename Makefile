# havehus — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# ical.js, the npm package the feed tests read the feeds with (tests/feeds/readers.py)
FEED_JS := tests/feeds/js
JS_STAMP := $(FEED_JS)/node_modules/.installed
DEMO_ENV := HAVEHUS_CONFIG=config/demo.toml

.PHONY: run test test-odd-hours deploy-check lint format i18n i18n-check wheel-check clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# Reinstalled only when the lock file changes. Without npm the ical.js tests are skipped
# (and fail under CI=true), so a machine without node can still run the rest.
$(JS_STAMP): $(FEED_JS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(FEED_JS) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm not found: the feed tests that read the feeds with ical.js will be skipped"; \
	fi

## make run: install, migrate, seed the demo week and start web + worker on :5000
run: $(STAMP)
	$(DEMO_ENV) $(BIN)/havehus db upgrade
	$(DEMO_ENV) $(BIN)/havehus demo
	$(DEMO_ENV) $(BIN)/havehus run --port 5000

## make test: lint, format check, the import layers, the type check and the whole test suite
test: $(STAMP) $(JS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

## make test-odd-hours: the time-sensitive tests under faketime at four awkward instants
test-odd-hours: $(STAMP) $(JS_STAMP)
	$(BIN)/python .ci/odd_hours.py

## make deploy-check: docs/deploy.md on this machine — two gunicorn webs and two workers on one
## PostgreSQL, maintenance, backup and restore; the systemd units and the nginx site (when
## systemd-analyze and nginx are installed); the upgrade from each release's fixture
deploy-check: $(STAMP)
	$(BIN)/pytest -q tests/operations/test_deploy.py tests/operations/test_deploy_files.py \
		tests/operations/test_upgrade.py tests/operations/test_maintenance.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make i18n: extract strings, update every catalogue, compile the .mo files
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output --width 100 \
		--project havehus --copyright-holder "The havehus contributors" -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/python -m havehus.i18n_tools fill-source locales/en/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d locales --statistics

## make i18n-check: what every resident language still lacks, then the catalogue tests
i18n-check: $(STAMP)
	@for lang in ar tr so ur uk da; do \
		echo "$$lang: $$($(BIN)/python -m havehus.i18n_tools resident-missing $$lang | wc -l) resident-facing strings untranslated"; \
	done
	$(BIN)/pytest -q tests/test_i18n.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache $(FEED_JS)/node_modules

## make bench: the whole performance table (python -m bench; ratios against baselines measured in the same run)
.PHONY: bench bench-quick
bench: $(STAMP) .wrk
	$(BIN)/python -m bench

bench-quick: $(STAMP) .wrk
	$(BIN)/python -m bench --quick

# wrk (Debian's package) gives the load; as root it is installed when missing, otherwise the
# bench falls back to its bounded Python client.
.PHONY: .wrk
.wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk is not installed: the bench uses its bounded Python client"
