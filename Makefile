# Keel: `make run` serves the demo; `make test` runs the whole suite. Nothing else needs installing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The independent FHIR R4 validator (fhir.resources 6.4.0 on pydantic 1) lives in an environment of its own.
FHIR_VENV  := .venv-fhir-r4
FHIR_STAMP := $(FHIR_VENV)/.installed-$(shell cat tests/fhir_r4/requirements.txt | cksum | cut -d' ' -f1)
PO     := $(wildcard src/keel/locale/*/LC_MESSAGES/django.po)
MO     := $(PO:.po=.mo)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test test-sqlite test-postgres test-moved-clock test-deploy lint typecheck security messages check-migrations bench bench-lighthouse bench-tools clean

install: $(STAMP) $(MO) node_modules/.keel-installed $(FHIR_STAMP)

# tests/fhir_r4: FHIR R4 (4.0.1) models, pinned with every dependency, from the package index; nothing of Keel's.
$(FHIR_STAMP): tests/fhir_r4/requirements.txt
	@test -x $(FHIR_VENV)/bin/python || $(PYTHON) -m venv $(FHIR_VENV)
	$(FHIR_VENV)/bin/python -m pip install --quiet --no-deps -r tests/fhir_r4/requirements.txt
	@rm -f $(FHIR_VENV)/.installed-* && touch $@

# Test-only front-end tools (axe-core) from the npm registry, pinned by package-lock.json.
node_modules/.keel-installed: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts --silent && touch $@; \
	 else echo "npm not found: the accessibility tests need Node.js (CI installs it)"; fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

%.mo: %.po
	msgfmt --check -o $@ $<

# The worker (scheduled jobs and the queue, `keel worker`) runs beside the web server and stops with it.
run: install
	$(BIN)/keel migrate --no-input
	$(BIN)/keel demo
	$(BIN)/keel worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/keel serve --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when KEEL_TEST_POSTGRES_URL is set.
test: install test-sqlite test-postgres

# `--dist loadfile`: a test file runs on one worker, so its module fixtures (the shared world, a caseload's
# population, a migrated database of its own) are built once; `loadgroup` sent each test of a file without an
# xdist_group mark to either worker and built them on both (session 27: tests/careteam, tests/audit and
# tests/recovery 87 s against 100 s, side by side).
test-sqlite:
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-postgres:
ifdef KEEL_TEST_POSTGRES_URL
	KEEL_DATABASE_URL=$(KEEL_TEST_POSTGRES_URL) $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser" tests --ignore=tests/core
else
	@echo "KEEL_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped (CI sets it)."
endif

# Issue #12: the suite passes on any date. `.ci/run` runs the date-dependent tests again on SQLite with the
# whole process's clock moved by libfaketime (Debian's `faketime`): a year ahead, half an hour before US clocks
# next spring forward (01:30 in New York) and 30 s past a midnight in New York (the program's day changes while
# UTC's does not; session 37's CI at 00:01 there), each an offset from now (`tools/clock_offset.py`: an absolute
# "@time" was read in New York's zone by the xdist workers). Tests that pin time (time_machine) pin on top of the
# moved clock. Chosen: every test file that pins time or names a date or "today" (but the route x role
# matrix, 13 minutes of fixed fixtures), the core rules, the demo; less the tests marked `clock_free`
# (pyproject's markers: the caseload's fast paths held to the full ranking at moments they name, the packaged
# command on its own file): 77 test cases, 474 of the 1,170 s of test time these passes took in session 27's profile (40%).
CLOCK_TESTS = $(shell grep -rlE 'time_machine|timezone\.now|localdate|date\.today|datetime\.now|[0-9]{4}-[0-9]{2}-[0-9]{2}|timedelta' tests --include='test_*.py' | grep -v -e '^tests/browser/' -e '^tests/access/test_matrix.py' | sort) tests/core tests/cli tests/meta
test-moved-clock: install
	@command -v faketime >/dev/null || { echo "faketime not found: apt-get install faketime (.ci/run does)"; exit 1; }
	TZ=UTC KEEL_TEST_RUN_NAME=clock-year-ahead faketime -f "$$($(BIN)/python tools/clock_offset.py year-ahead)" \
	  $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not clock_free" -q $(CLOCK_TESTS)
	TZ=UTC KEEL_TEST_RUN_NAME=clock-dst-spring faketime -f "$$($(BIN)/python tools/clock_offset.py spring-forward)" \
	  $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not clock_free" -q $(CLOCK_TESTS)
	TZ=UTC KEEL_TEST_RUN_NAME=clock-new-york-midnight faketime -f "$$($(BIN)/python tools/clock_offset.py new-york-midnight)" \
	  $(BIN)/python -m pytest -n 2 --dist loadfile -m "not browser and not clock_free" -q $(CLOCK_TESTS)

# Issue #19: docs/deploy.md's layout run on this machine and checked over HTTPS (tests/deploy/run.sh): Caddy (TLS,
# its internal CA) in front of two `keel serve` processes, `keel worker`, a throwaway PostgreSQL database
# (KEEL_DEPLOY_PG, default postgres@127.0.0.1:5432), an SMTP server. Needs caddy (apt-get install caddy).
test-deploy: install
	tests/deploy/run.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

# SECURITY.md T7: no bandit finding at medium severity or above (waivers are written down in docs/security-checks.md)
security: install
	$(BIN)/bandit -q -r src --severity-level medium --exclude "*/migrations/*"

check-migrations: install
	$(BIN)/keel makemigrations --check --dry-run

messages: install
	cd src/keel && KEEL_DATA_DIR=$(CURDIR)/var ../../$(BIN)/keel makemessages -l es --no-location --no-obsolete
	$(MAKE) $(MO)

bench: install
	$(BIN)/python bench/http_load.py --scenario patient-home --concurrency 8 --seconds 10

clean:
	rm -rf $(VENV) $(FHIR_VENV) var .mypy_cache .ruff_cache

# wrk: the C load generator bench/stack.py uses when it is installed (Debian's package).
bench-tools:
	@command -v wrk >/dev/null || apt-get install -y wrk

bench-lighthouse: install
	@test -x bench/node_modules/.bin/lighthouse || (cd bench && npm ci --no-audit --no-fund --ignore-scripts --silent)
	$(BIN)/python bench/lighthouse.py
