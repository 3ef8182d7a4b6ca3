# Two entry points for newcomers: `make demo` and `make test`. Both create (once) and reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit slow deploy-check clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/certfleet demo

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

slow: $(STAMP)
	$(BIN)/pytest -q -m slow

# deploy/: promtool on the Prometheus config and alert rules (and their unit tests), then the
# observability tests (scrapes vs dashboard and rules, Compose/Kubernetes structure).
deploy-check: $(STAMP)
	cd deploy/prometheus && promtool check config prometheus.yml && promtool test rules alerts_test.yml
	$(BIN)/pytest -q tests/observability

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
