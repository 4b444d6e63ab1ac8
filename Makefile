# Usual targets. Each installs what it needs into .venv first, once: a stamp file per extra is
# remade only when the packaging files change.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STACK  ?= dev

.PHONY: install install-test crd-models node-sdk scan-tools preview check test lint fmt typecheck schema graph bench readme-figures test-time clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

PACKAGING = pyproject.toml setup.py

$(VENV)/.installed-cli: $(BIN)/python $(PACKAGING)
	$(BIN)/pip install -qq -e '.[cli]'
	touch $@

$(VENV)/.installed-test: $(BIN)/python $(PACKAGING)
	$(BIN)/pip install -qq -e '.[test]'
	touch $@ $(VENV)/.installed-cli

install: $(VENV)/.installed-cli

install-test: $(VENV)/.installed-test

preview: install                   ## offline preview of a stack (default dev)
	$(BIN)/dataplatform preview --stack $(STACK)

check: install                     ## offline policy check of a stack
	$(BIN)/dataplatform check --stack $(STACK)

# The published Karpenter/KEDA models the CRD tests validate against (tests/crd, node + npm).
CRD_MODELS = tests/crd/node_modules/.installed
$(CRD_MODELS): tests/crd/package.json tests/crd/package-lock.json
	npm ci --prefix tests/crd --no-audit --no-fund --loglevel=error
	touch $@

crd-models: $(CRD_MODELS)

# The Node SDK (@pulumi/pulumi) and TypeScript the component package's TypeScript example previews
# under (tests/component_package, tests/test_component_package_node.py).
NODE_SDK = tests/component_package/node_modules/.installed
$(NODE_SDK): tests/component_package/package.json tests/component_package/package-lock.json
	npm ci --prefix tests/component_package --no-audit --no-fund --loglevel=error
	touch $@

node-sdk: $(NODE_SDK)

# checkov in its own virtualenv: its exact pins (boto3, packaging, ...) would downgrade this project's.
# The scanner tests find it there (or CHECKOV=/path/to/checkov, or on PATH); ~1 min to install.
SCAN_VENV = .venv-scan
CHECKOV_VERSION ?= 3.3.30
$(SCAN_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install -qq 'checkov==$(CHECKOV_VERSION)'
	touch $@

scan-tools: $(SCAN_VENV)/.installed

test: install-test $(CRD_MODELS) $(NODE_SDK) scan-tools   ## the whole suite
	$(BIN)/python -m pytest -n 2 -q

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fmt: install-test
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: install-test
	$(BIN)/mypy

schema: install                    ## regenerate the stack config JSON Schema
	$(BIN)/dataplatform schema --output schema/stack-config.schema.json

graph: install                     ## regenerate the prod diagram in README.md
	$(BIN)/dataplatform graph --stack prod --format mermaid --detail key --into README.md

readme-figures: install-test       ## rewrite the README figures from the commands that give them
	$(BIN)/python -m benchmarks.readme_figures --write

test-time: install-test $(CRD_MODELS) $(NODE_SDK) scan-tools   ## time the suite once, record it, rewrite the figures
	$(BIN)/python -m benchmarks.readme_figures --time-tests --write

bench: install-test                ## performance figures (see README)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(SCAN_VENV) build dist *.egg-info .mypy_cache .ruff_cache
