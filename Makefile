# Mailyard — `make run` serves on the embedded SQLite default; `make test` runs every check and test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per install kind, named after pyproject.toml's hash: `make run` installs only what running needs,
# `make test` the test tools too.
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
STAMP := $(VENV)/.installed-test-$(HASH)
TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
# Line coverage of the test run (in-process code; `mailyard serve` processes the tests start are not measured).
COVERAGE_FLOOR ?= 88

.PHONY: run test lint typecheck contracts pytest install clean clients browser

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Mailyard needs Python 3.11 or newer (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $(RUN_STAMP)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-test-*
	touch $(STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/mailyard serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# Official clients in other languages, installed from their registry for the tests (never vendored).
NODE_CLIENTS := tencentcloud-sdk-nodejs-ses@4.1.76 tencentcloud-sdk-nodejs-common@4.1.220
NODE_STAMP := $(VENV)/node/.installed-$(shell echo $(NODE_CLIENTS) | sha1sum | cut -c1-12)

$(NODE_STAMP): | $(BIN)/python
	@if command -v npm >/dev/null; then \
		rm -rf $(VENV)/node && mkdir -p $(VENV)/node && \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/node $(NODE_CLIENTS) && touch $@; \
	else echo "npm not found: the Node.js SDK tests will skip (CI requires them)"; fi

# tccli brings Tencent's whole Python SDK, whose files would replace those of the pinned SES SDK the tests
# use as a client: it gets a virtual environment of its own.
TCCLI := tccli==3.1.189.1 tencentcloud-sdk-python==3.1.195
TCCLI_STAMP := $(VENV)/tccli/.installed-$(shell echo $(TCCLI) | sha1sum | cut -c1-12)

$(TCCLI_STAMP): | $(BIN)/python
	rm -rf $(VENV)/tccli
	$(PYTHON) -m venv $(VENV)/tccli
	$(VENV)/tccli/bin/python -m pip install --quiet $(TCCLI)
	touch $@

clients: $(NODE_STAMP) $(TCCLI_STAMP)

# The dashboard tests drive Debian's Chromium through Playwright; no browser is downloaded.
browser:
	@[ -x /usr/bin/chromium ] || DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk

pytest: $(STAMP) clients browser
	MAILYARD_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -q \
		--cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

test: lint typecheck contracts pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (not part of `make test`): Postfix's smtp-sink / smtp-source are the physical limit.
# bench-rss sends one task to one list of 1,000,000 recipients.
BENCH_DATABASES ?= sqlite,postgres
BENCH_CONNECTIONS ?= 16
BENCH_WORKERS ?= 2

.PHONY: bench-tools bench-delivery bench-delivery-tracking bench-rss

bench-tools:
	@if [ ! -x /usr/sbin/smtp-sink ] || [ ! -x /usr/sbin/smtp-source ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y postfix; \
		postfix stop 2>/dev/null || true; \
		service postfix stop 2>/dev/null || true; \
	fi

bench-delivery: $(STAMP) bench-tools
	$(BIN)/python bench/delivery_rate.py --databases $(BENCH_DATABASES) --recipients 100000 \
		--connections $(BENCH_CONNECTIONS) --workers $(BENCH_WORKERS)

# What open and click tracking costs the delivery rate: tasks with it on and off, alternately, in one run.
bench-delivery-tracking: $(STAMP) bench-tools
	$(BIN)/python bench/delivery_rate.py --compare-tracking --databases $(BENCH_DATABASES) --recipients 4000 \
		--repetitions 8 --connections $(BENCH_CONNECTIONS) --workers $(BENCH_WORKERS)

bench-rss: $(STAMP) bench-tools
	$(BIN)/python bench/delivery_rate.py --databases postgres --recipients 1000000 \
		--connections $(BENCH_CONNECTIONS) --workers $(BENCH_WORKERS) --no-source --no-dkim --rss-limit 250

# Signed Tencent ListSendTasks over 1,000,000 PostgreSQL tasks vs a signed unknown action (the baseline), under wrk.
BENCH_CLIENTS ?= 32
BENCH_SECONDS ?= 10

.PHONY: bench-list bench-tracking bench-webhooks

bench-list: $(STAMP)
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
	$(BIN)/python bench/list_rate.py --tasks 1000000 --clients $(BENCH_CLIENTS) --seconds $(BENCH_SECONDS)

# SMTP submission: messages/s accepted and committed from smtp-source (trusted network) vs smtp-source into smtp-sink,
# after the SMTP session's own ceiling (a door that stores nothing) against the same smtp-sink.
BENCH_MESSAGES ?= 20000

.PHONY: bench-submission

bench-submission: $(STAMP) bench-tools
	$(BIN)/python bench/submission_floor.py --messages $(BENCH_MESSAGES) --sessions $(BENCH_CONNECTIONS)
	$(BIN)/python bench/submission_rate.py --databases $(BENCH_DATABASES) --messages $(BENCH_MESSAGES) \
		--sessions $(BENCH_CONNECTIONS)

# Fuzzing (not part of `make test`, which runs a small share of the same tests): 10,000 cases per fuzz test on
# the Tencent and Alibaba doors and schemathesis over /openapi.json; no 5xx, no internal detail in any answer.
FUZZ_EXAMPLES ?= 10000

.PHONY: fuzz

fuzz: $(STAMP)
	MAILYARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -m fuzz tests/web

# Open and click hits per second against /healthz of the same server (target: a ratio of at least 0.5).
bench-tracking: $(STAMP)
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
	$(BIN)/python bench/tracking_rate.py --clients $(BENCH_CLIENTS) --seconds $(BENCH_SECONDS)
	cd bench && ../$(BIN)/python tracking_render.py

# Webhooks posted per second by one worker, against the receiver's own rate under wrk.
bench-webhooks: $(STAMP)
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
	$(BIN)/python bench/webhook_rate.py --clients $(BENCH_CLIENTS) --seconds $(BENCH_SECONDS)
# Fault, crash and load figures a release can repeat (bounded, loopback only; not part of `make test`).
# One scenario alone: `make soak SOAK_SCENARIOS=scheduler` (or kill, restart, relay, api).
SOAK_SCENARIOS ?= kill,restart,relay,scheduler,api
SOAK_RECIPIENTS ?= 20000

.PHONY: soak

soak: $(STAMP)
	$(BIN)/python bench/soak.py --scenarios $(SOAK_SCENARIOS) --recipients $(SOAK_RECIPIENTS)
