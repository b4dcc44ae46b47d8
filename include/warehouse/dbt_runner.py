"""Run the dbt project (dbt-duckdb) in-process against a data directory.

Airflow renders the project with astronomer-cosmos; tests, benchmarks and
scripts use this module. The warehouse is one DuckDB file under the data
directory; parallel readers use Parquet exports, never the file itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from include.config.loader import PROJECT_ROOT
from include.errors import PeakTradeError
from include.paths import DataPaths
from include.warehouse.connection import (
    LOCK_WAIT_S,
    is_lock_error,
    publish_reader_copy,
    retry_while_locked,
    wait_until_unlocked,
)
from include.warehouse.preflight import check_landed

DBT_PROJECT = PROJECT_ROOT / "dbt"
# Named on every dbt command line (here, in make's `dbt parse` and in cosmos' producer): dbt's
# partial parse keeps a saved parse only for the same profile and target flags, the same dbt
# version and the same connection settings (so the same DuckDB path, i.e. the same data directory).
PROFILE, TARGET = "peak_trade", "local"
# The parse state `make` saves with the manifest, for the configured data directory
# (include/warehouse/dbt_manifest.py): a run there whose dbt target has none yet (the first
# publish_sweeps) starts from it instead of parsing the whole project; dbt re-reads only the files
# that changed since and parses everything when the state does not fit (another data directory).
PARTIAL_PARSE = DBT_PROJECT / "target" / "partial_parse.msgpack"


class WarehouseError(PeakTradeError):
    """dbt failed: the message names the failing model or test."""


def warehouse_file(data_dir: Path) -> Path:
    return DataPaths(Path(data_dir)).duckdb


def _error_lines(stdout: str) -> str:
    """dbt's own account of a failure that left no run results (a parse or compile error)."""
    lines = [line.strip() for line in stdout.strip().splitlines()]
    marks = [i for i, line in enumerate(lines) if line.endswith("Encountered an error:")]  # after a timestamp
    if marks:
        start = marks[0] + 1
        return " ".join(line for line in lines[start:start + 4] if line and "DeprecationsSummary" not in line)
    return " ".join(lines[-3:])


def dbt_command(args: list[str], data_dir: Path) -> tuple[list[str], dict[str, str]]:
    """The dbt command line and environment run_dbt runs `dbt <args>` with (the fault tests kill it mid-model)."""
    data_dir = Path(data_dir).resolve()
    warehouse_file(data_dir).parent.mkdir(parents=True, exist_ok=True)
    target = DataPaths(data_dir).dbt_target
    env = {
        **os.environ, "PEAKTRADE_DATA_DIR": str(data_dir), "DBT_TARGET_PATH": str(target),
        "PEAKTRADE_ROOT": str(PROJECT_ROOT),
    }
    if not (target / PARTIAL_PARSE.name).is_file() and PARTIAL_PARSE.is_file():
        env["DBT_PARTIAL_PARSE_FILE_PATH"] = str(PARTIAL_PARSE)  # read from there, written to the target
    command = [
        str(Path(sys.executable).parent / "dbt"), *args,
        "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--log-path", str(target / "logs"),
        "--profile", PROFILE, "--target", TARGET,
    ]
    return command, env


def run_dbt(args: list[str], data_dir: Path, check_candles: bool = True) -> list[dict]:
    """`dbt <args>` in a subprocess; returns run_results, raises WarehouseError naming what failed.

    A subprocess (as cosmos runs it) releases the DuckDB file when it ends,
    so the caller can open the warehouse afterwards. check_candles=False skips the
    landed-candle preflight, for a selection that does not read candles (the sweep models).
    """
    data_dir = Path(data_dir).resolve()
    if check_candles and args and args[0] in ("build", "run"):
        check_landed(data_dir)  # one clear message instead of DuckDB's error about a glob or a cast
    command, env = dbt_command(args, data_dir)
    target = DataPaths(data_dir).dbt_target
    results_file = target / "run_results.json"
    database = warehouse_file(data_dir)

    def attempt() -> subprocess.CompletedProcess:
        wait_until_unlocked(database, LOCK_WAIT_S)  # a reader's lock: wait here rather than fail inside dbt
        results_file.unlink(missing_ok=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0 and is_lock_error(done.stdout + done.stderr):
            raise _DbtLocked(done.stdout + done.stderr)  # a reader took the file between the wait and dbt's open
        return done

    done = retry_while_locked(attempt, database, LOCK_WAIT_S,
                              lambda exc: str(exc) if isinstance(exc, _DbtLocked) else None)
    results = json.loads(results_file.read_text())["results"] if results_file.is_file() else []
    failed = [r for r in results if r["status"] in ("error", "fail")]
    if done.returncode != 0 or failed:
        named = "; ".join(f"{r['unique_id']}: {r['message']}" for r in failed[:5])
        tail = _error_lines(done.stdout)
        raise WarehouseError(f"dbt {' '.join(args)} failed: {named or tail}")
    if args and args[0] in ("build", "run"):
        publish_reader_copy(data_dir)  # every build ends with a fresh copy for readers
    return results


class _DbtLocked(Exception):
    """dbt stopped on DuckDB's file lock (its output is the message)."""
