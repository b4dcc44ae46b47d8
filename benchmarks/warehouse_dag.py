"""Benchmark: `airflow dags test warehouse_build` on the default universe, full and hourly-incremental,
against the two other ways to run the dbt project from Airflow.

The default config (config/peak_trade.yaml: 3 simulated venues x 5 symbols, a year of 1h and three
days of 1m candles) is landed up to one hour ago in-process (`benchmarks.ingest_dag --preland`),
then `airflow dags test market_data_ingest` lands the last hour on a copy: that copy's new and
rewritten files are the hourly increment. Each variant gets its own copy of the year, a temporary
AIRFLOW_HOME (SQLite, LocalExecutor settings of .airflow.env) and its own dags folder holding one
DAG file, and runs:
  * full: `airflow dags test <dag>` on an empty warehouse;
  * incremental: the hour's files copied in, `airflow dags test <dag>` again.
Variants (the same dbt selection, tests included, and the same prepare/export tasks):
  * watcher: dags/warehouse_build.py as shipped (cosmos ExecutionMode.WATCHER: one `dbt build`,
    a sensor per model and per model's tests);
  * per_model: cosmos ExecutionMode.LOCAL, a dbt process per model and per model's tests (the
    warehouse_build before the watcher);
  * one_task: one Airflow task running `dbt build` (no task per model in the UI).
Reported per run: the `dags test` process' wall time, the DAG run's duration and its tasks' from
the metadata database (the dbt tasks summed, the producer or single build task on its own).
What the comparison decides: per_model pays a dbt start and a DuckDB open per node, one_task is the
floor but shows nothing per model in the UI; the watcher pays the floor plus one short sensor task
per node (and cosmos' XCom per node), which is why warehouse_build ships it.

Part of the `warehouse` benchmark (key "airflow" of benchmarks/results/warehouse.json); on its own,
which replaces only that key:
    .venv/bin/python -m benchmarks.warehouse_dag [--variant watcher --variant one_task] [--keep-tmp]
Each run records the 1-minute load average before and after: the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from benchmarks.common import (DEFAULT_TMP_PARENT, RESULTS_DIR, ROOT, airflow_env, command_info, machine_info, run_worker,
                               tail, utc_now, write_result)

TIMEOUT_S = 1800
CONFIG = ROOT / "config" / "peak_trade.yaml"

_COMMON = '''"""Benchmark variant of warehouse_build (benchmarks/warehouse_dag.py): {doc}"""
from datetime import datetime

from airflow.sdk import DAG, task

from include.checked_config import load_checked_config
from include.config.loader import data_dir
from operators.common import default_args
from operators.warehouse_tasks import DUCKDB_POOL, dbt_project_configs, export_marts, prepare_warehouse

config = load_checked_config()
'''
PER_MODEL = _COMMON.format(doc="cosmos LOCAL mode, a dbt process per model and per model's tests.") + '''
import sys
from pathlib import Path

from cosmos import DbtTaskGroup, ExecutionConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior

with DAG(dag_id="warehouse_build_per_model", schedule=None, start_date=datetime(2024, 1, 1), catchup=False,
         default_args=default_args(config)):
    project_config, profile_config = dbt_project_configs()
    group = DbtTaskGroup(
        group_id="dbt", project_config=project_config, profile_config=profile_config,
        execution_config=ExecutionConfig(dbt_executable_path=str(Path(sys.executable).parent / "dbt"),
                                         invocation_mode=InvocationMode.SUBPROCESS),
        render_config=RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.AFTER_EACH,
                                   source_rendering_behavior=SourceRenderingBehavior.WITH_TESTS_OR_FRESHNESS,
                                   emit_datasets=False, exclude=["tag:sweeps"]),
        operator_args={"pool": DUCKDB_POOL, "install_deps": False},
    )
    prepare_warehouse() >> group >> export_marts()
'''
ONE_TASK = _COMMON.format(doc="one task runs `dbt build`.") + '''

@task(pool=DUCKDB_POOL)
def dbt_build() -> int:
    from include.warehouse.dbt_runner import run_dbt

    return len(run_dbt(["build", "--exclude", "tag:sweeps"], data_dir(load_checked_config())))


with DAG(dag_id="warehouse_build_one_task", schedule=None, start_date=datetime(2024, 1, 1), catchup=False,
         default_args=default_args(config)):
    prepare_warehouse() >> dbt_build() >> export_marts()
'''
VARIANTS = {"watcher": "warehouse_build", "per_model": "warehouse_build_per_model", "one_task": "warehouse_build_one_task"}


def run(tmp: Path, progress=print, variants: tuple[str, ...] = tuple(VARIANTS)) -> dict:
    base = tmp / "warehouse_dag"
    base.mkdir(parents=True, exist_ok=True)
    year, hour = base / "year" / "data", base / "hour" / "data"
    env = _env(base / "airflow_home", base / "dags" / "ingest", year)
    (base / "dags" / "ingest").mkdir(parents=True)
    (base / "dags" / "ingest" / "market_data_ingest.py").symlink_to(ROOT / "dags" / "market_data_ingest.py")
    began = time.perf_counter()
    _run([_airflow(), "db", "migrate"], env, base / "db-migrate.log")
    _run([_airflow(), "pools", "set", "duckdb", "1", "DuckDB warehouse file"], env, base / "pools.log")
    setup = {"db_migrate_s": round(time.perf_counter() - began, 1)}

    began = time.perf_counter()
    setup["preland"] = run_worker("benchmarks.ingest_dag", ["--preland"], env, base / "preland.json",
                                  base / "preland.log", timeout=TIMEOUT_S)
    setup["preland"]["wall_s"] = round(time.perf_counter() - began, 1)
    progress(f"  pre-landed the default universe up to {setup['preland']['landed_up_to']}: "
             f"{setup['preland']['candles']:,} candles, {setup['preland']['partitions']} partitions, "
             f"{setup['preland']['wall_s']:.0f} s")
    shutil.copytree(year, hour)
    began = time.perf_counter()
    _run([_airflow(), "dags", "test", "market_data_ingest"], {**env, "PEAKTRADE_DATA_DIR": str(hour)},
         base / "ingest-hour.log")
    increment = _changed_files(year / "raw", hour / "raw")
    setup["hourly_ingest"] = {"wall_s": round(time.perf_counter() - began, 1), "files_new_or_rewritten": len(increment)}
    progress(f"  market_data_ingest of the last hour: {setup['hourly_ingest']['wall_s']:.0f} s, "
             f"{len(increment)} files new or rewritten")

    results = {}
    for variant in variants:
        dag_id = VARIANTS[variant]
        folder = base / "dags" / variant
        folder.mkdir(parents=True)
        if variant == "watcher":
            (folder / "warehouse_build.py").symlink_to(ROOT / "dags" / "warehouse_build.py")
        else:
            (folder / f"{dag_id}.py").write_text(PER_MODEL if variant == "per_model" else ONE_TASK)
        data = base / variant / "data"
        shutil.copytree(year / "raw", data / "raw")  # copy2: the year keeps its landing times
        run_env = _env(base / "airflow_home", folder, data)
        full = _timed_dag_run(run_env, base, dag_id, base / variant / "full.log")
        for rel in increment:
            (data / "raw" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(hour / "raw" / rel, data / "raw" / rel)  # landed now, like the ingest's files
        incremental = _timed_dag_run(run_env, base, dag_id, base / variant / "incremental.log")
        results[variant] = {"dag_id": dag_id, "full": full, "hourly_incremental": incremental}
        progress(f"  {variant}: full {full['wall_s']:.0f} s (DAG run {full['dag_run_s']:.0f} s, {full['tasks']} tasks), "
                 f"hourly incremental {incremental['wall_s']:.0f} s (DAG run {incremental['dag_run_s']:.0f} s)")
    return {
        "parameters": {
            "config": str(CONFIG.relative_to(ROOT)),
            "command": "airflow dags test <dag_id>",
            "executor": env.get("AIRFLOW__CORE__EXECUTOR"),
            "order": "db migrate, pre-land up to an hour ago, one market_data_ingest run (the hour), "
                     "then per variant: full run on an empty warehouse, the hour's files, incremental run",
        },
        "setup": setup,
        "results": results,
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    rows = []
    for variant, r in payload["results"].items():
        for kind in ("full", "hourly_incremental"):
            run = r[kind]
            rows.append((f"warehouse_build {variant}: {kind}", f"{run['wall_s']:.1f} s",
                         f"DAG run {run['dag_run_s']:.1f} s, {run['tasks']} tasks, dbt tasks summed "
                         f"{run['dbt_tasks_summed_s']:.1f} s, build task {run['dbt_build_task_s']} s, "
                         f"load {run.get('load_1m_before', '?')}"))
    return rows


def _airflow() -> str:
    return str(Path(sys.executable).parent / "airflow")


def _env(home: Path, dags: Path, data: Path) -> dict[str, str]:
    env = airflow_env(home)
    env.update(AIRFLOW__CORE__DAGS_FOLDER=str(dags), PEAKTRADE_DATA_DIR=str(data), PEAKTRADE_CONFIG=str(CONFIG),
               PEAKTRADE_REPORTS_DIR=str(home.parent / "reports"), PEAKTRADE_ROOT=str(ROOT),
               # What is timed is the run; on a shared, busy machine the parse can pass Airflow's 30 s
               # import timeout, and then `dags test` fails instead of measuring anything.
               AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="300",
               # cosmos' cache (the producer's dbt parse state) for this benchmark alone, not the one in
               # /tmp every warehouse_build on the machine shares: a run never starts from another's state.
               AIRFLOW__COSMOS__CACHE_DIR=str(home.parent / "cosmos_cache"))
    return env


def _changed_files(before: Path, after: Path) -> list[Path]:
    """Files of `after` that `before` lacks or holds in another version (by size and modification time)."""
    changed = []
    for path in after.rglob("*.parquet"):
        rel = path.relative_to(after)
        old = before / rel
        if not old.is_file() or (old.stat().st_size, old.stat().st_mtime_ns) != (path.stat().st_size, path.stat().st_mtime_ns):
            changed.append(rel)
    return sorted(changed)


def _run(cmd: list[str], env: dict, log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}")


def _timed_dag_run(env: dict, base: Path, dag_id: str, log: Path) -> dict:
    load_before = round(os.getloadavg()[0], 2)
    began = time.perf_counter()
    _run([_airflow(), "dags", "test", dag_id], env, log)
    result = {"wall_s": round(time.perf_counter() - began, 1), "load_1m_before": load_before,
              "load_1m_after": round(os.getloadavg()[0], 2)}
    result.update(_inspect_db(base / "airflow_home" / "airflow.db", dag_id))
    if result["state"] != "success":
        raise RuntimeError(f"{dag_id} ended {result['state']}; last lines of {log}:\n{tail(log)}")
    return result


def _inspect_db(db: Path, dag_id: str) -> dict:
    """The newest run of dag_id: its duration, and its tasks' (dbt tasks summed)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        run_id, state, start, end = con.execute(
            "SELECT run_id, state, start_date, end_date FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        tis = con.execute("SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = ? AND run_id = ?",
                          (dag_id, run_id)).fetchall()
    finally:
        con.close()
    seconds = {task: (_ts(t1) - _ts(t0)).total_seconds() for task, t0, t1 in tis if t0 and t1}
    dbt = {task: s for task, s in seconds.items() if task.startswith("dbt") and task != "dbt_build"}
    build = seconds.get("dbt.dbt_producer_watcher", seconds.get("dbt_build"))
    first_dbt = min((_ts(t0) for task, t0, _ in tis if t0 and task.startswith("dbt")), default=None)
    last_dbt = max((_ts(t1) for task, _, t1 in tis if t1 and task.startswith("dbt")), default=None)
    return {
        "state": state,
        "dag_run_s": round((_ts(end) - _ts(start)).total_seconds(), 1),
        "tasks": len(tis),
        "prepare_warehouse_s": round(seconds.get("prepare_warehouse", 0.0), 1),
        "dbt_build_task_s": round(build, 1) if build is not None else None,
        "dbt_tasks": len(dbt) + (build is not None and "dbt_build" in seconds),
        "dbt_tasks_summed_s": round(sum(dbt.values()) + (seconds.get("dbt_build") or 0.0), 1),
        "dbt_span_s": round((last_dbt - first_dbt).total_seconds(), 1) if first_dbt and last_dbt else None,
        "export_marts_s": round(seconds.get("export_marts", 0.0), 1),
        "slowest_tasks": sorted(((round(s, 1), task) for task, s in seconds.items()), reverse=True)[:5],
    }


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(str(value))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.warehouse_dag", description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=tuple(VARIANTS), help="run only this variant (repeatable)")
    parser.add_argument("--tmp-dir", type=Path, default=DEFAULT_TMP_PARENT, help="parent of the temporary work dir")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary work dir")
    args = parser.parse_args()
    args.tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="warehouse_dag-", dir=args.tmp_dir)).resolve()
    machine = machine_info()
    payload = run(tmp, variants=tuple(args.variant or VARIANTS))
    payload.update(measured_at=utc_now(), machine=machine, command=command_info("benchmarks.warehouse_dag"))
    # The dbt-vs-pandas half of warehouse.json stays as its last full run wrote it.
    results = RESULTS_DIR / "warehouse.json"
    whole = json.loads(results.read_text()) if results.is_file() else {}
    whole["airflow"] = payload
    write_result("warehouse", whole)
    for row in table_rows(payload):
        print("  ".join(row))
    if not args.keep_tmp:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
