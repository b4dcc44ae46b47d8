"""What parsing each DAG file imports: module count, project modules, and the heavy packages pulled in.

    source .airflow.env && .venv/bin/python scripts/dag_parse_imports.py [dags/rebalance.py ...]

Each DAG file is imported in a fresh interpreter (one subprocess per file) that has already loaded
airflow.sdk, as the DAG processor has; the seconds are indicative only (a busy machine moves them),
the module lists are not.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numba", "optuna", "include.strategies", "include.backtest", "include.sweeps.run", "skfolio", "cvxpy",
         "ccxt", "great_expectations", "duckdb", "reportlab", "openpyxl", "matplotlib")
PROBE = """
import importlib.util, json, sys, time
import airflow.sdk  # loaded already in the DAG processor: what is measured is the DAG file's own cost
before = set(sys.modules)
began = time.perf_counter()
spec = importlib.util.spec_from_file_location("dag_file", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
seconds = time.perf_counter() - began
new = set(sys.modules) - before
print(json.dumps({"dag": sys.argv[1], "seconds": round(seconds, 2), "modules": len(new),
                  "project": sum(m.split(".")[0] in ("include", "operators") for m in new),
                  "heavy": [m for m in json.loads(sys.argv[2]) if m in sys.modules]}))
"""


def main(files: list[str]) -> int:
    for path in files or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "dags").glob("*.py")):
        done = subprocess.run([sys.executable, "-c", PROBE, path, json.dumps(HEAVY)], cwd=ROOT,
                              capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        print(lines[-1] if done.returncode == 0 and lines else json.dumps({"dag": path, "error": done.stderr[-300:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
