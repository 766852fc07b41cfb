# evsynth: the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-fast lint format bench reference system-deps clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	$(VENV)/bin/evsynth demo --out out/demo

# The whole suite: statistics against metafor's reference values, records, reports,
# the web application on SQLite and PostgreSQL, and the browser tests.
test: venv system-deps
	$(PY) -m pytest
	@# The web suite again on PostgreSQL (the team-server database); required in CI.
	@if [ -n "$$CI" ] || pg_isready -q -h 127.0.0.1 2>/dev/null; then \
	  EVSYNTH_DATABASE_URL="$${EVSYNTH_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}" \
	    $(PY) -m pytest tests/web -m "not browser" -p no:cacheprovider; \
	else echo "PostgreSQL is not running: the web suite's PostgreSQL pass is skipped (CI runs it)"; fi

test-fast: venv
	$(PY) -m pytest -m "not slow and not browser and not postgres"

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

# Side-by-side timings with R's metafor (needs Rscript with metafor: apt-get install r-cran-metafor).
bench: venv
	$(PY) benchmarks/run.py

# Regenerate the committed metafor reference values (needs R; never needed to run or test).
reference:
	for f in reference/metafor/*.R; do Rscript "$$f" || exit 1; done

# Debian packages the browser tests and the PDF renderer need; installed only when missing.
system-deps:
	@bash scripts/system-deps.sh

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
