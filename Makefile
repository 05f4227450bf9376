# Storelink — every target sets up what it needs; a fresh machine needs only Python 3.11+,
# Java 17 and Maven (no Docker).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
UV_VERSION  := 0.13.8
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
RUN         := $(UV) run --frozen --no-sync
STATE       ?= $(CURDIR)/.state
export STORELINK_STATE := $(STATE)
PACKAGES     = $(foreach d,$(wildcard libs/*/src/storelink_* services/*/src/storelink_* simulators/*/src/storelink_*),-p $(notdir $(d)))

.PHONY: help install test test-unit up down lint format schemas screenshots deploy-render bench kafka-up kafka-down clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

AJV_DIR     := tests/integration/contracts/ajv

install: $(UV) ## install uv, the workspace (uv.lock), Ajv (package-lock.json), the Kafka broker jars, PostgreSQL binaries, Chromium
	$(UV) sync --frozen --all-packages
	@command -v npm >/dev/null || { echo "install Node.js 18+ (npm): the schema tests run Ajv, a second JSON Schema implementation"; exit 1; }
	@[ $(AJV_DIR)/node_modules/.package-lock.json -nt $(AJV_DIR)/package-lock.json ] || npm ci --prefix $(AJV_DIR)
	bash deploy/local/kafka.sh fetch
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL server binaries (Debian package postgresql) for the ledger tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends postgresql; }
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium (Debian package chromium) for the console's browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

test: install ## set everything up and run every test (a real Kafka broker is started)
	$(RUN) pytest

test-unit: install ## the fast level only: tests/unit (no Kafka, no processes, no database server)
	$(RUN) pytest tests/unit -n auto

up: install ## set everything up and run the stack locally (Kafka + services) until Ctrl-C
	bash deploy/local/up.sh

down: ## stop everything `make up` started
	bash deploy/local/down.sh

kafka-up: install ## start the local Kafka broker (KAFKA_PORT, default 9092)
	bash deploy/local/kafka.sh start
	$(RUN) storelink topics create --bootstrap 127.0.0.1:$${KAFKA_PORT:-9092}

kafka-down: ## stop the local Kafka broker
	bash deploy/local/kafka.sh stop

lint: install ## ruff and mypy --strict on libs/, services/ and simulators/
	$(RUN) ruff check libs services simulators tests bench
	$(RUN) ruff format --check libs services simulators tests bench
	$(RUN) mypy $(PACKAGES)

format: install ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix libs services simulators tests bench
	$(RUN) ruff format libs services simulators tests bench

screenshots: install ## run the console's browser journeys and save their screenshots into docs/console/
	STORELINK_SCREENSHOTS_DIR=$(CURDIR)/docs/console $(RUN) pytest tests/integration/console -p no:randomly

schemas: install ## write JSON Schemas and the AsyncAPI document into docs/
	$(RUN) storelink schemas --docs-dir docs

deploy-render: install ## regenerate docker-compose*.yml and deploy/k8s from deploy/services.toml
	$(RUN) python deploy/render.py

bench: install ## run the benchmarks in bench/ (prints figures; not pass/fail)
	@for b in bench/bench_*.py; do echo "== $$b"; $(RUN) python $$b || exit 1; done

clean: ## remove local state (not the jar cache)
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache $(AJV_DIR)/node_modules
