# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create .venv from requirements.lock (every version pinned, installed with uv).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
export PYTHONPATH := $(CURDIR)/plugins

.PHONY: demo test lint bench eval lock clean

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --python $(PY) requirements.lock
	touch $@

demo: $(VENV)/.installed
	$(PY) -m socialpulse demo $(if $(MONTH),--month $(MONTH))

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

# Lint and types, configured in pyproject.toml ([tool.ruff], [tool.mypy]) and .sqlfluff. CI runs it before the tests.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/sqlfluff lint include/sql

# The message classifier against the hand-labelled dev set: precision, recall, F1, intent accuracy.
eval: $(VENV)/.installed
	$(PY) -m socialpulse evaluate tests/data/labelled-messages/dev.csv

# Every benchmark figure: marts on 10M messages against pandas, DAG parse cost, a daily run of five
# accounts, report rendering, the classifier on 1M messages and its share of a daily extract, then
# bulk import and backfill wall times. Prints, never asserts.
bench: $(VENV)/.installed
	$(PY) bench/bench_metrics.py
	$(PY) bench/bench_pipeline.py
	$(PY) bench/bench_classify.py
	$(PY) bench/bench_import.py $(BENCH_ARGS)
	$(PY) bench/bench_lake.py

# Wall times of loading history: a year of exports, a year of API history, a 30-day Airflow backfill.
.PHONY: bench-import
bench-import: $(VENV)/.installed
	$(PY) bench/bench_import.py $(BENCH_ARGS)

# requirements.lock: everything, tests included (make demo, make test, CI). requirements-runtime.lock:
# the same versions without the dev extra, for the production image (docker/Dockerfile).
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -c requirements.lock -o requirements-runtime.lock

clean:
	rm -rf $(VENV) .demo
