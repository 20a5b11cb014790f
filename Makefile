# Two commands matter: `make demo` and `make test`. Each bootstraps .venv by itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard providers/*/pyproject.toml examples/*/pyproject.toml)))
STAMP := $(VENV)/.seotasks-installed

# An environment that sets PYTHONDONTWRITEBYTECODE makes every Python process compile the
# project's sources again: about 0.15 s of CPU each time the tests start `seotasks`, which
# they do hundreds of times. The same holds for the venv's packages, which uv installs
# without bytecode: each module is compiled once, when first imported, not at install
# (most of dlt, mypy and mkdocs never is). The project's bytecode goes to __pycache__
# folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE
# seotasks-dlt: `seotasks load` imports it, so typecheck needs it installed too.
DLT_STAMP := $(VENV)/.seotasks-dlt-installed

.PHONY: demo test lint typecheck unit docs contract dlt dagster airflow orchestrators bench install clean dist wheels-check

# Every install goes through uv (installed into .venv by pip, from PyPI): it resolves and
# downloads in parallel and keeps a cache of wheels that later installs link from, where
# pip fetches each package one after another. A fresh clone's `make install` with the dlt
# and Postgres extras takes about 35 s instead of 3 min; the contract venv and
# wheels-check's fresh venv then install from that cache without the network.
# `uv pip install --python X` installs into the venv whose interpreter is X.
UV := $(BIN)/uv
UV_INSTALL = $(UV) pip install --quiet --python

$(UV):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'

$(STAMP): $(UV) pyproject.toml $(wildcard providers/*/pyproject.toml examples/*/pyproject.toml)
	$(UV_INSTALL) $(BIN)/python -e '.[dev,speed,receive,report]' $(foreach p,$(PLUGINS),-e $(p))
	touch $(STAMP)

install: $(STAMP)

# `make demo` installs what the demo runs and nothing more: the core and the plugins,
# without the test, lint, type-check and docs tools of `install` (a fresh clone gets to
# the demo in seconds, not a minute). After `make install` it only re-checks them.
DEMO_STAMP := $(VENV)/.seotasks-demo-installed

$(DEMO_STAMP): $(UV) pyproject.toml $(wildcard providers/*/pyproject.toml examples/*/pyproject.toml)
	$(UV_INSTALL) $(BIN)/python -e . $(foreach p,$(PLUGINS),-e $(p))
	touch $(DEMO_STAMP)

# Each vendor on its own, then the first rows of both merged, ordered by completion time:
# DataForSEO's history (its ready tasks carry no completion time and would sort last) over
# the last day, so both vendors' tasks interleave; the summary line counts each one's.
demo: $(DEMO_STAMP)
	$(BIN)/seotasks providers
	$(BIN)/seotasks tasks --sandbox -p dataforseo -L 10 --format table -q
	$(BIN)/seotasks tasks --sandbox -p serpstat --status any -L 10 --format table -q
	$(BIN)/seotasks tasks --sandbox -p dataforseo -p serpstat --status any -o dataforseo.source=history --since 1d -L 12 --format table -q --summary

LINTED := $(wildcard src providers tests benchmarks examples contract integrations)

lint: $(STAMP)
	$(BIN)/ruff check --no-cache $(LINTED)
	$(BIN)/ruff format --no-cache --check $(LINTED)

# The dlt integration's sources too: mypy analyses dlt for the core's `seotasks load`
# anyway, so one run checks both (a second run for them alone cost 8 s of CPU more).
typecheck: $(STAMP) $(DLT_STAMP)
	$(BIN)/mypy src $(foreach p,$(PLUGINS),$(p)src) integrations/dlt/src
	MYPYPATH=benchmarks $(BIN)/mypy --explicit-package-bases benchmarks/*.py

# The report's tests read a store written by `seotasks load` (seotasks-dlt).
# worksteal: a worker that ran out of tests takes some of another's, so the slow ones
# queued on one worker do not make the suite's tail.
# One worker more than the cores: the unit suite waits much of its time (a kill's
# instant, a paced or paused emulator, a signal's effect); alone on 2 cores with 2
# workers it kept them 55 % busy, and it is the last phase of `make test` to end.
UNIT_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
unit: $(STAMP) $(DLT_STAMP)
	$(BIN)/python -m pytest -q -n $(UNIT_WORKERS) --dist worksteal --durations=15

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site

# The official DataForSEO client against our emulator, in its own venv (the client pins an
# older urllib3): see docs/vendor-truth.md.
CONTRACT_VENV := contract/.venv
CONTRACT_STAMP := $(CONTRACT_VENV)/.seotasks-installed

$(CONTRACT_STAMP): $(UV) contract/requirements.txt pyproject.toml providers/dataforseo/pyproject.toml
	test -x $(CONTRACT_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(CONTRACT_VENV)
	$(UV_INSTALL) $(CONTRACT_VENV)/bin/python -r contract/requirements.txt -e . -e providers/dataforseo
	touch $(CONTRACT_STAMP)

contract: $(CONTRACT_STAMP)
	cd contract && .venv/bin/python -m pytest -q

# The dlt integration (integrations/dlt, distribution seotasks-dlt) in the project's venv:
# dlt[duckdb] installs in well under a minute; its tests run the emulators into DuckDB.
$(DLT_STAMP): $(STAMP) integrations/dlt/pyproject.toml
	$(UV_INSTALL) $(BIN)/python -e integrations/dlt
	touch $(DLT_STAMP)

# The Postgres tests start a real PostgreSQL 16 server of their own: its binaries come in
# the pgserver wheel (extra `test`), the driver with dlt[postgres] (extra `postgres`),
# so nothing but the installer is needed (40 MB); see integrations/dlt/tests/pgtest.py.
PG_STAMP := $(VENV)/.seotasks-dlt-postgres-installed

$(PG_STAMP): $(DLT_STAMP)
	$(UV_INSTALL) $(BIN)/python -e 'integrations/dlt[postgres,test]'
	touch $(PG_STAMP)

# Each test has its own temp folder, pipelines folder, emulators and free ports (the
# Postgres tests: a database each, on a server per worker), so they run side by side.
# Its sources are type-checked by `make typecheck`.
# The temp folders go to /dev/shm where it is a tmpfs with 4 GB free (a session writes
# about 170 MB; pytest keeps the last three): the journal's and DuckDB's fsyncs, renames
# and unlinks then cost no disk, 6% of the phase's CPU and 8% of its time.
SHM_TMP := $(shell df -Pk -t tmpfs /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 4000000 {print "/dev/shm"}')

dlt: $(DLT_STAMP) $(PG_STAMP)
	cd integrations/dlt && $(if $(SHM_TMP),TMPDIR=$(SHM_TMP)) \
		$(abspath $(BIN))/python -m pytest -q -n auto --dist worksteal --durations=10

# The orchestrator recipes (integrations/dlt/recipes) run by their real orchestrators,
# each in a venv of its own (hundreds of packages, pins of their own), into the tests'
# own PostgreSQL server: integrations/dlt/orchestrator_tests, docs/orchestrators.md.
# Dagster: install about 30 s on a fresh machine (uv; 3.5 min with pip), tests about 1.5 min.
DAGSTER_VENV := $(VENV)-dagster
DAGSTER_STAMP := $(DAGSTER_VENV)/.seotasks-installed
ORCH_SOURCES := pyproject.toml integrations/dlt/pyproject.toml $(wildcard providers/*/pyproject.toml)

# One recipe for both orchestrators' venvs: the stem ($*) names the venv's suffix and
# the dlt integration's extra that pulls the orchestrator in (dagster, airflow).
$(VENV)-%/.seotasks-installed: $(UV) $(ORCH_SOURCES)
	test -x $(VENV)-$*/bin/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)-$*
	$(UV_INSTALL) $(VENV)-$*/bin/python -e . -e providers/dataforseo \
		-e providers/serpstat -e 'integrations/dlt[postgres,test,$*]'
	touch $@

dagster: $(DAGSTER_STAMP)
	cd integrations/dlt && $(abspath $(DAGSTER_VENV))/bin/python -m pytest -q orchestrator_tests/test_dagster.py

# Airflow: install about 30 s on a fresh machine (uv; 3 min with pip), tests 6 to 8 min.
AIRFLOW_VENV := $(VENV)-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.seotasks-installed

airflow: $(AIRFLOW_STAMP)
	cd integrations/dlt && $(abspath $(AIRFLOW_VENV))/bin/python -m pytest -q orchestrator_tests/test_airflow.py

# Not part of `make test` (minutes of runs of heavy engines); CI runs both.
orchestrators: dagster airflow

# The phases run side by side, three at a time: much of the suites' time is waiting (for
# subprocesses to start, on pacing, on pip), so the two cores stay busy. Each phase's
# output is printed whole when it ends (--output-sync), never interleaved; the first
# failure stops the phases not yet started. The longest start first.
PHASES := unit dlt wheels-check contract typecheck lint docs

test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(PHASES)

# Every distribution of the repository as a wheel in $(DIST_DIR)/: the core, the providers,
# the acme example plugin and seotasks-dlt. Until a release is on PyPI, this is how to install
# by name elsewhere: pip install --no-index --find-links dist/ --no-deps seotasks seotasks-dlt ...
# then the same names again without --no-index for their dependencies (docs/quickstart.md).
# `make wheels-check` (part of `make test`) installs them so in a fresh venv and runs them.
DIST_DIR ?= dist
DISTRIBUTIONS := . $(PLUGINS) integrations/dlt/

# uv builds each in an isolated environment, as pip would, with setuptools from its cache;
# three at a time (xargs fails if any build does).
dist: $(STAMP)
	rm -rf $(DIST_DIR)
	printf '%s\n' $(DISTRIBUTIONS) | xargs -P 3 -I {} \
		$(UV) build --quiet --wheel --python $(BIN)/python --out-dir $(DIST_DIR) {}
	ls $(DIST_DIR)

wheels-check: $(STAMP)
	$(BIN)/python -m pytest -q -p no:xdist tests/check_wheels.py

BENCH_STAMP := $(VENV)/.seotasks-bench-installed

$(BENCH_STAMP): $(STAMP)
	$(UV_INSTALL) $(BIN)/python -e '.[dev,speed,receive,report,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) $(DLT_STAMP) $(PG_STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(CONTRACT_VENV) $(DAGSTER_VENV) $(AIRFLOW_VENV)
