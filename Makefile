# The README's two commands: `make report` and `make test`. Each builds the environment first
# when .venv is missing or pyproject.toml changed, so a fresh clone needs only Python 3.11+,
# pip and make. The environment is installed from requirements.lock (exact versions, resolved from
# pyproject.toml by `make lock`), then the project itself without dependencies, then the project's
# Jupyter kernel (netclean-reanalysis, on IPC sockets: see src/helpers/pipeline/kernel.py).
# The bytecode is compiled after the install, on every core (pip compiles one file at a time);
# without it every kernel would compile pandas, scipy and matplotlib again where
# PYTHONDONTWRITEBYTECODE is set (as on the project's test machine). The libraries' own test
# suites (a third of their files) are never imported, so they are not compiled.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements.lock
KERNEL := netclean-reanalysis
ARGS ?=
# Test workers (pytest-xdist): one per core. Tests of one module share a worker (--dist loadscope),
# so a module's fixtures are built once; the default report is built once for the whole session.
# Modules are handed out in the order tests/conftest.py gives them (the long ones first), not
# sorted by their number of tests (--no-loadscope-reorder).
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

.DEFAULT_GOAL := help
.PHONY: help report test test-fast test-report test-slow lint bench bench-dask method-checks lab list clean distclean env lock pdf

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r $(LOCK)
	$(PY) -m compileall -q -j 0 -x '/tests?/' $(VENV)/lib >/dev/null
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m helpers.pipeline.kernel install
	@touch $(STAMP)

env: $(STAMP) ## build the environment (.venv) if it is missing or pyproject.toml changed

report: $(STAMP) ## run the whole report on the embedded default data (ARGS='-p alpha 0.01 ...')
	$(PY) -m helpers run $(ARGS)

test: $(STAMP) ## run every test: the unit, report and slow tiers, in parallel
	$(PY) -m pytest $(XDIST) $(ARGS)

test-fast: $(STAMP) ## the unit tier only (under a minute): no simulations, no notebook runs
	$(PY) -m pytest $(XDIST) -m "not slow and not report" $(ARGS)

test-report: $(STAMP) ## the report tier: tests that execute chapter notebooks (runner, papermill)
	$(PY) -m pytest $(XDIST) -m report $(ARGS)

test-slow: $(STAMP) ## the slow tier: simulation studies and million-row scale checks
	$(PY) -m pytest $(XDIST) -m slow $(ARGS)

lint: $(STAMP) ## ruff (the rules in pyproject.toml), deptry (every import declared), mypy (types of src/)
	$(PY) -m ruff check .
	$(VENV)/bin/deptry .
	$(PY) -m mypy

bench: $(STAMP) ## measure build times, the naive loop, the one-process floor and microdata scale
	$(PY) bench/run.py $(ARGS)

bench-dask: $(STAMP) ## the method checks on Dask: 1 vs 2 workers, overhead per task, a 500-replicate study
	$(PY) bench/dask_bench.py $(ARGS)

method-checks: $(STAMP) ## recompute the stored method study (data/derived/) on Dask (ARGS='--scheduler tcp://host:8786')
	nice $(PY) -m helpers.pipeline.recompute $(ARGS)

# Lab serves the project folder (so a figure's "data (CSV)" link, ../outputs/..., resolves) and opens
# notebooks/; as root (containers) it needs --allow-root. ARGS: e.g. '--no-browser --port 8899'.
lab: $(STAMP) ## open JupyterLab on the project's kernel (NetClean re-analysis); ARGS='--no-browser --port 8899'
	$(VENV)/bin/jupyter lab --notebook-dir=. --ServerApp.default_url=/lab/tree/notebooks \
		--MappingKernelManager.default_kernel_name=$(KERNEL) $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

pdf: $(STAMP) ## one PDF of the reader version (outputs/report.pdf) from the last run; runs the report first if needed
	@test -f outputs/run.json || $(PY) -m helpers run $(ARGS)
	$(PY) -m helpers export --pdf

lock: ## re-resolve requirements.lock from pyproject.toml (with the dev extra); then `make env`
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --upgrade --extra dev --no-emit-index-url --no-emit-find-links --strip-extras \
		--output-file $(LOCK) pyproject.toml

list: $(STAMP) ## each chapter with its parameters
	$(PY) -m helpers list

clean: ## remove generated outputs
	rm -rf outputs outputs-failed .outputs.staging* .outputs.previous .outputs.lock

distclean: clean ## also remove the environment
	rm -rf $(VENV) src/*.egg-info
