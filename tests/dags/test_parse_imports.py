"""Parsing a DAG file loads the config's shape and the source catalogues only: never Numba, Optuna,
the strategies, the backtester or the sweep runner (docs/architecture.md). Measured by the modules a
fresh interpreter holds after importing the file, never by time."""
import json
import os
import subprocess

import pytest

from tests.conftest import REPO

FORBIDDEN = ("numba", "optuna", "include.strategies", "include.backtest", "include.sweeps.run", "skfolio",
             "cvxpy", "include.portfolio.optimise")
DAG_FILES = sorted((REPO / "dags").glob("*.py"))

# Imports the file the way the DagBag does (by path, as a module of its own) and reports sys.modules.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("dag_under_test", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=[path.name for path in DAG_FILES])
def test_parsing_a_dag_imports_no_engine_strategies_or_optimiser(dag_file):
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # conftest's AIRFLOW_HOME and data dirs, as the DagBag tests
    done = subprocess.run([str(REPO / ".venv/bin/python"), "-c", PROBE, str(dag_file)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{dag_file.name}: {len(modules)} modules after parsing")
    loaded = [name for name in FORBIDDEN if name in modules]
    assert not loaded, f"parsing {dag_file.name} imported {loaded}"
