# Peak Trade: `make demo` runs the pipeline on the offline simulator, `make test` runs the suite,
# `make soak` runs 2,000 random fault sequences through rebalances on the exchange emulator, then
# 1,000 SIGKILLs of ingest tasks and 3 of the warehouse build (benchmarks/soak_ingest.py), then the
# secret scan (tests marked soak: every DAG run once, every artefact searched).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
export PEAKTRADE_ROOT := $(CURDIR)
# Bytecode caches for every interpreter make starts (Airflow, dbt, pytest and their workers): with
# PYTHONDONTWRITEBYTECODE set (as on this machine) and the venv installed without bytecode, each
# Airflow or dbt process would compile its ~3,000 modules again, about half its CPU.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache

.PHONY: demo test airflow scaleout scaleout-down bench soak lock clean system-deps

$(VENV)/.runtime: requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip --version >/dev/null 2>&1 || $(VENV)/bin/python -m ensurepip -q
	@$(VENV)/bin/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip install -q --python $(VENV)/bin/python -r requirements.txt  # no --compile-bytecode: 4 min of compiling; imports compile what they use
	@touch $@

# The dbt graph cosmos renders warehouse_build from, so parsing that DAG never runs dbt (include/warehouse/dbt_manifest.py).
DBT_MANIFEST := dbt/target/manifest.json
$(DBT_MANIFEST): $(VENV)/.runtime dbt/dbt_project.yml $(shell find dbt/models dbt/macros dbt/tests dbt/seeds -type f 2>/dev/null)
	$(VENV)/bin/python -m include.warehouse.dbt_manifest

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium: its own download needs internet).
system-deps:
	@command -v chromium >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

$(VENV)/.test: $(VENV)/.runtime requirements-test.txt | system-deps
	$(UV) pip install -q --python $(VENV)/bin/python -r requirements-test.txt
	@touch $@

$(VENV)/.bench: $(VENV)/.runtime requirements-bench.txt
	$(UV) pip install -q --python $(VENV)/bin/python -r requirements-bench.txt
	@touch $@

demo: $(VENV)/.runtime $(DBT_MANIFEST)  ## run the pipeline DAGs through Airflow on the simulator, print where outputs are
	@bash scripts/demo.sh

test: $(VENV)/.test $(DBT_MANIFEST)  ## the whole test suite
	$(VENV)/bin/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder -m "not soak" --durations=25  # the 25 slowest at the end; three workers on two cores (the stack tests mostly wait on Airflow: two left a core idle), one file each (the DAG-run files overlap), longest files first (tests/conftest.py)

airflow: $(VENV)/.runtime $(DBT_MANIFEST)  ## the Airflow UI on http://localhost:8080 with the project's DAGs
	@bash scripts/airflow.sh

scaleout: $(VENV)/.runtime $(DBT_MANIFEST)  ## docker-compose.yml's stack natively (CeleryExecutor, 2 workers, PostgreSQL, Redis); stop: make scaleout-down
	$(VENV)/bin/python -m scripts.scaleout up

scaleout-down:  ## stop what `make scaleout` started, drop its databases
	$(VENV)/bin/python -m scripts.scaleout down

bench: $(VENV)/.bench $(DBT_MANIFEST)  ## benchmarks; results as JSON under benchmarks/results/
	@source .airflow.env && $(VENV)/bin/python -m benchmarks.run

soak: $(VENV)/.test $(DBT_MANIFEST)  ## rebalance fault sequences, ingest task kills, warehouse build kills, the secret scan; benchmarks/results/soak*.json
	$(VENV)/bin/python -m benchmarks.soak --sequences $(or $(SEQUENCES),2000)
	$(VENV)/bin/python -m benchmarks.soak_ingest --kills $(or $(KILLS),1000) --warehouse-kills $(or $(WAREHOUSE_KILLS),3)
	$(VENV)/bin/python -m pytest -m soak  # the secret scan: every DAG run once, every artefact searched for planted secrets

lock:  ## recompile the locks from the .in files
	$(UV) pip compile -q requirements.in --python-version 3.11 -o requirements.txt
	$(UV) pip compile -q requirements-test.in --python-version 3.11 -o requirements-test.txt
	$(UV) pip compile -q requirements-bench.in --python-version 3.11 -o requirements-bench.txt

clean:  ## remove generated data, Airflow home and the virtualenv
	rm -rf data airflow_home $(VENV) .cache
