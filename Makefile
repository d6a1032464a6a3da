# The two commands of the README: `make run` and `make test`. Each sets itself up on a fresh
# Debian machine that has only Python 3.11 and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# HOME_CREDIT_DIR points the product at real Kaggle files; unset, the generated demo data is used.
DEMO_DIR := data/demo
DEMO_CLIENTS ?= 20000
DEMO_TEST_CLIENTS ?= 3000
SEED ?= 42
DATA_DIR := $(if $(HOME_CREDIT_DIR),$(HOME_CREDIT_DIR),$(DEMO_DIR))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

MODEL_DIR ?= artifacts/model
HOST ?= 127.0.0.1
PORT ?= 8050
WORKERS ?= 2
# The demo is plain HTTP on loopback, on purpose: session cookie without Secure, no HSTS (docs/deployment.md).
# gunicorn refuses it on any other address: HOST=0.0.0.0 goes with PLAIN_HTTP_LOOPBACK=0, behind TLS.
PLAIN_HTTP_LOOPBACK ?= 1

REPORTS_DIR ?= reports

# Python's compiled files are kept (a machine may set PYTHONDONTWRITEBYTECODE): without them every process
# compiles the project again, and pytest rewrites every test module and plugin again, 5 s per process.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast lint swagger-ui venv test-venv browser demo-data summary model drift counter-offers records report serve clean

# Set-up, data, model, drift report, then the dashboard and JSON routes on http://$(HOST):$(PORT)
run: venv swagger-ui demo-data summary model drift counter-offers records serve

test: test-venv browser java swagger-ui services lint
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The edit-run loop: every test but the slow ones (browser, servers, services, real extracts, training;
# tests/conftest.py SLOW_FIXTURES and SLOW_MODULES), about 1,100 tests in some 35 s
test-fast: test-venv
	$(PY) -m pytest -q -n 2 -m "not slow"

# Lint, types and import rules (configured in pyproject.toml): zero findings or the test run stops here.
# The import rules fail on any import circle and on an import against the floors (docs/architecture.md).
lint: test-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m tools.lint_imports --no-cache --no-logo

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt requirements-spark.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

# Swagger UI for /docs/api, from the npm registry at a pinned version (1.7 MB of JavaScript: not kept
# in git); Node.js and npm come from Debian where missing.
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_DIR := api/static/swagger-ui
$(SWAGGER_DIR)/swagger-ui-bundle.js:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack -q swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && \
	  tar -xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && \
	  cp package/swagger-ui-bundle.js package/swagger-ui.css $(abspath $(SWAGGER_DIR))/ && rm -rf $$tmp
swagger-ui: $(SWAGGER_DIR)/swagger-ui-bundle.js

venv: $(VENV)/.installed
test-venv: $(VENV)/.test-installed

# Browser tests drive Debian's Chromium through chromedriver (dash[testing]); the decision letter's
# tests read its PDF with poppler-utils (pdftotext, pdfinfo, pdftoppm).
browser:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# Redis and PostgreSQL on 127.0.0.1 for the tests: used where they run, else installed and started
# (tools/services.sh; docs/deployment.md). Not a prerequisite of run: one host needs neither.
.PHONY: services
services:
	@bash tools/services.sh

# The Spark engine of the batch scorer (model/batch/spark.py, tests/test_batch.py) runs on a JVM:
# Debian's Java 17 where `java` is missing.
.PHONY: java
java:
	@command -v java >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Generated only when no real data is configured and the demo folder is not complete yet.
demo-data: venv
ifeq ($(HOME_CREDIT_DIR),)
	@[ -f $(DEMO_DIR)/.complete ] || { \
	  $(PY) -m data.generate --clients $(DEMO_CLIENTS) --test-clients $(DEMO_TEST_CLIENTS) \
	    --seed $(SEED) --out $(DEMO_DIR) && touch $(DEMO_DIR)/.complete; }
endif

summary: venv
	$(PY) -m data.load --data-dir $(DATA_DIR)

# Trains only when no model fits the configured data (first run, or HOME_CREDIT_DIR changed).
model: venv
	@$(PY) -m model.artifact status --model-dir $(MODEL_DIR) --data-dir $(DATA_DIR) || \
	  $(PY) -m model.train --data-dir $(DATA_DIR) --model-dir $(MODEL_DIR)

# Training clients vs new applications (application_test); redone when the model is newer.
drift: venv
	@[ -f $(REPORTS_DIR)/drift_summary.json ] && [ $(REPORTS_DIR)/drift_summary.json -nt $(MODEL_DIR)/CURRENT ] || \
	  $(PY) -m model.monitoring.drift --reference $(DATA_DIR) --model-dir $(MODEL_DIR) --out $(REPORTS_DIR)

# Share of refused / referred files with a feasible counter-offer; redone when the model is newer.
counter-offers: venv
	@[ -f $(REPORTS_DIR)/counter_offers.json ] && [ $(REPORTS_DIR)/counter_offers.json -nt $(MODEL_DIR)/CURRENT ] || \
	  HOME_CREDIT_DIR=$(abspath $(DATA_DIR)) $(PY) -m model.simulation --model-dir $(MODEL_DIR) --out $(REPORTS_DIR)

# The store of every client's raw rows the servers read (built once per data folder, checked otherwise;
# RECORDS_CACHE_DIR, docs/scale.md): the workers then open it in seconds.
records: venv
	@HOME_CREDIT_DIR=$(abspath $(DATA_DIR)) MODEL_DIR=$(abspath $(MODEL_DIR)) $(PY) -m model.clients.records_store build

# docs/methodology.md from the current model, its tracking run and the drift summary
report: venv
	$(PY) -m model.reporting --model-dir $(MODEL_DIR) --drift-dir $(REPORTS_DIR)

serve: venv
	@$(PY) -m auth demo
	@echo "Dashboard: http://$(HOST):$(PORT)/   JSON: http://$(HOST):$(PORT)/api/v1/health"
	HOME_CREDIT_DIR=$(abspath $(DATA_DIR)) MODEL_DIR=$(abspath $(MODEL_DIR)) DRIFT_DIR=$(abspath $(REPORTS_DIR)) \
	  HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) PLAIN_HTTP_LOOPBACK=$(PLAIN_HTTP_LOOPBACK) \
	  $(VENV)/bin/gunicorn -c gunicorn.conf.py 'app:create_server()'

clean:
	rm -rf $(DEMO_DIR) artifacts mlflow.db reports
