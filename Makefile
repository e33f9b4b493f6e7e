# wholechild: one command per habit, the same locally and in CI.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= var/demo
DEMO_CHILDREN ?= 5000

NODE_STAMP := node_modules/.package-lock.json
# Root installs system packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup browser demo demo-data serve-demo serve test test-all check bench screenshots clean

help:
	@echo "make demo      set up, synthesise a council, load and link it (SQLite), serve it on 127.0.0.1:8000"
	@echo "make test      set up and run the tests (PostgreSQL tests skip unless it is reachable)"
	@echo "make test-all  the tests including slow suites"
	@echo "make check     ruff + mypy"
	@echo "make screenshots  the main pages, on a small synthetic council, as PNGs in docs/screenshots/"
	@echo "make bench     synth/ingest throughput; linkage at 100k vs a Splink baseline; FEBRL; drafting; everyday use (search, child page, audit, SAR, extract, retention)"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Front-end packages (govuk-frontend, axe-core) from the npm registry, served locally: no CDN.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)

# Debian's Chromium for the browser tests (never `playwright install`: it downloads browsers).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null; }; }

DEMO_DB := WHOLECHILD_DATABASE_URL=sqlite:///$(DEMO_DIR)/wholechild.db
DEMO_EHCP_CASES ?= 60

# The whole product on the embedded default: synthesise, load under agreements, link, measure,
# seal adopted children's records, load EHCP case histories, seed demo accounts, then serve.
demo: demo-data serve-demo

demo-data: setup
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/wholechild synth --children $(DEMO_CHILDREN) --seed 1 --ehcp-cases $(DEMO_EHCP_CASES) --out $(DEMO_DIR)/council
	$(DEMO_DB) $(BIN)/wholechild agreements load $(DEMO_DIR)/council/agreements.yaml
	$(DEMO_DB) $(BIN)/wholechild ingest $(DEMO_DIR)/council
	$(DEMO_DB) $(BIN)/wholechild link --truth $(DEMO_DIR)/council/truth
	$(DEMO_DB) $(BIN)/wholechild link evaluate --truth $(DEMO_DIR)/council/truth --out $(DEMO_DIR)/linkage-quality
	$(DEMO_DB) $(BIN)/wholechild records seal --adopted
	$(DEMO_DB) $(BIN)/wholechild ehcp load-synthetic $(DEMO_DIR)/council
	$(DEMO_DB) $(BIN)/wholechild users seed-demo

serve-demo:
	$(DEMO_DB) WHOLECHILD_LINKAGE_REPORT_DIR=$(DEMO_DIR)/linkage-quality $(BIN)/wholechild serve

# Serve the store named by WHOLECHILD_DATABASE_URL (or .env).
serve: setup
	$(BIN)/wholechild serve

test: setup browser
	$(BIN)/python -m pytest -m "not slow" -q

test-all: setup browser
	$(BIN)/python -m pytest -q

check: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/linkage.py --children 100000
	$(BIN)/python bench/febrl.py
	$(BIN)/python bench/drafting.py --cases 60
	$(BIN)/python bench/everyday.py --children 10000
	$(BIN)/python bench/web_load.py --children 100000

# Full-page PNGs of the main pages into docs/screenshots/ (a small synthetic council, served on a
# free loopback port, photographed by Debian's chromium through Playwright).
screenshots: setup browser
	$(BIN)/python scripts/screenshots.py --out docs/screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
