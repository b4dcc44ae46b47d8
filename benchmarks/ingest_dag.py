"""Benchmark 2: wall time of `airflow dags test market_data_ingest` over 15 series.

3 simulated exchanges x 5 symbols x 1h, in a temporary AIRFLOW_HOME with its
own SQLite metadata DB (`airflow db migrate` once) and temporary data dirs:

* cold: an empty data dir and 7d of 1h history, so the run lands 7 days;
* incremental: 30d of 1h history pre-landed in-process up to one hour ago
  (`include.ingest.plan_incremental(config, now - 1h)`, then land / validate /
  publish for every job), so the timed DAG run lands only the last hour.

Reported per DAG run: wall time of the `airflow dags test` process, the DAG
run's own duration from the metadata DB, mapped task counts, per-task
durations, candles landed (sum of the land tasks' `rows` XCom, cross-checked
against the growth of raw/) and the newest validation results table.

The pre-land step runs as a worker: `python -m benchmarks.ingest_dag --preland --out F`.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.common import ROOT, airflow_env, median, run_worker, tail, write_yaml

DAG_ID = "market_data_ingest"
EXCHANGES = ["sim_alpha", "sim_beta", "sim_gamma"]
SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"]
TIMEFRAME = "1h"
HISTORY_INCREMENTAL = "30d"
HISTORY_COLD = "7d"
SEED = 7
TIMEOUT_S = 900


def write_config(path: Path, history: str) -> Path:
    return write_yaml(
        path,
        {
            "data_dir": "data",  # overridden by PEAKTRADE_DATA_DIR
            "universe": {
                "symbols": SYMBOLS,
                "timeframes": [TIMEFRAME],
                "exchanges": [{"id": e, "source": "sim"} for e in EXCHANGES],
            },
            "history": {"start": {TIMEFRAME: history}},
            "simulator": {"seed": SEED},
        },
    )


# --------------------------------------------------------------------------- orchestration (parent)


def run(tmp: Path, cold: bool = True, progress=print) -> dict:
    base = tmp / "ingest"
    home = base / "airflow_home"
    (home / "logs").mkdir(parents=True, exist_ok=True)
    env = airflow_env(home)
    airflow = str(Path(sys.executable).parent / "airflow")

    began = time.perf_counter()
    _run([airflow, "db", "migrate"], env, base / "db-migrate.log")
    setup = {"db_migrate_s": round(time.perf_counter() - began, 2)}
    progress(f"  airflow db migrate: {setup['db_migrate_s']:.1f} s")

    payload: dict = {
        "parameters": {
            "dag_id": DAG_ID,
            "exchanges": EXCHANGES,
            "symbols": SYMBOLS,
            "timeframe": TIMEFRAME,
            "series": len(EXCHANGES) * len(SYMBOLS),
            "history_incremental": HISTORY_INCREMENTAL,
            "history_cold": HISTORY_COLD if cold else None,
            "executor": env.get("AIRFLOW__CORE__EXECUTOR"),
            "parallelism": env.get("AIRFLOW__CORE__PARALLELISM"),
            "metadata_db": "sqlite (temporary)",
            "command": f"airflow dags test {DAG_ID}",
            "order": "db migrate, cold run (if any), pre-land, incremental run; one DAG run each",
        },
        "setup": setup,
    }

    if cold:
        data = base / "cold" / "data"
        run_env = dict(env, PEAKTRADE_DATA_DIR=str(data), PEAKTRADE_CONFIG=str(write_config(base / "cold" / "peak_trade.yaml", HISTORY_COLD)))
        payload["cold"] = _timed_dag_run(airflow, run_env, home, data, base / "cold" / "dags-test.log")
        progress(_line("cold", payload["cold"]))

    data = base / "incremental" / "data"
    config = write_config(base / "incremental" / "peak_trade.yaml", HISTORY_INCREMENTAL)
    run_env = dict(env, PEAKTRADE_DATA_DIR=str(data), PEAKTRADE_CONFIG=str(config))
    began = time.perf_counter()
    pre = run_worker("benchmarks.ingest_dag", ["--preland"], run_env, base / "preland.json", base / "preland.log")
    pre["wall_s"] = round(time.perf_counter() - began, 2)
    setup["preland"] = pre
    progress(
        f"  pre-land {HISTORY_INCREMENTAL} up to {pre['landed_up_to']}: {pre['candles']:,} candles, "
        f"{pre['passed']}/{pre['partitions']} partitions passed, {pre['seconds']:.1f} s in-process"
    )
    payload["incremental"] = _timed_dag_run(airflow, run_env, home, data, base / "incremental" / "dags-test.log")
    progress(_line("incremental", payload["incremental"]))
    return payload


def _line(kind: str, r: dict) -> str:
    return (
        f"  {kind} dags test: {r['wall_s']:.1f} s wall (DAG run {r['dag_run_s']:.1f} s), "
        f"{r['mapped_tasks_total']} mapped tasks, {r['candles_landed']:,} candles landed"
    )


def _run(cmd: list[str], env: dict, log: Path) -> None:
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}")


def _timed_dag_run(airflow: str, env: dict, home: Path, data: Path, log: Path) -> dict:
    rows_before = _raw_rows(data)
    load = os.getloadavg()[0]
    cpu_before = _children_cpu()
    began = time.perf_counter()
    _run([airflow, "dags", "test", DAG_ID], env, log)
    wall = time.perf_counter() - began
    cpu = _children_cpu() - cpu_before
    result = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "load_average_1m_before": round(load, 2)}
    result.update(_inspect_db(home / "airflow.db"))
    if result["state"] != "success":
        raise RuntimeError(f"DAG run {result['run_id']} ended {result['state']}; last lines of {log}:\n{tail(log)}")
    result["raw_rows_added"] = _raw_rows(data) - rows_before
    result["validation_results"] = _latest_results(data)
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _inspect_db(db: Path) -> dict:
    """The newest market_data_ingest run: duration, task instances, candles landed (XCom)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        dag_run_id, run_id, state, start, end = con.execute(
            "SELECT id, run_id, state, start_date, end_date FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
            (DAG_ID,),
        ).fetchone()
        tis = con.execute(
            "SELECT task_id, map_index, state, start_date, end_date FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, run_id),
        ).fetchall()
        xcoms = con.execute(
            "SELECT task_id, map_index, key, value FROM xcom WHERE dag_run_id = ? AND task_id = 'land'", (dag_run_id,)
        ).fetchall()
    finally:
        con.close()
    mapped = Counter(task for task, index, *_ in tis if index >= 0)
    durations: dict[str, list[float]] = {}
    for task, _index, _state, t0, t1 in tis:
        if t0 and t1:
            durations.setdefault(task, []).append((_ts(t1) - _ts(t0)).total_seconds())
    land = {}
    for _task, index, key, value in xcoms:
        land.setdefault(index, {})[key] = json.loads(value) if isinstance(value, (str, bytes)) else value
    windows = sorted({(x.get("window_start"), x.get("window_end")) for x in land.values()})
    return {
        "run_id": run_id,
        "state": state,
        "dag_run_s": round((_ts(end) - _ts(start)).total_seconds(), 2) if start and end else None,
        "task_instances": len(tis),
        "task_states": dict(Counter(s for _t, _i, s, *_ in tis)),
        "mapped_tasks": dict(mapped),
        "mapped_tasks_total": sum(mapped.values()),
        "task_seconds": {
            task: {"count": len(v), "total": round(sum(v), 2), "median": round(median(v), 2), "max": round(max(v), 2)}
            for task, v in sorted(durations.items())
        },
        "candles_landed": sum(int(x.get("rows") or 0) for x in land.values()),
        "land_windows": [{"start": a, "end": b} for a, b in windows][:3],
    }


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(str(value))


def _raw_rows(data: Path) -> int:
    import pyarrow.parquet as pq

    from include.paths import DataPaths

    raw = DataPaths(data).raw
    return sum(pq.read_metadata(f).num_rows for f in raw.rglob("*.parquet")) if raw.is_dir() else 0


def _latest_results(data: Path) -> dict | None:
    import pandas as pd

    from include.paths import DataPaths

    files = sorted(DataPaths(data).validation_results.glob("*.parquet"), key=lambda f: f.stat().st_mtime)
    if not files:
        return None
    table = pd.read_parquet(files[-1])
    return {
        "file": files[-1].name,
        "partitions": len(table),
        "series": int(table[["exchange", "symbol", "timeframe"]].drop_duplicates().shape[0]),
        "rows_validated": int(table["rows"].sum()),  # whole day-partitions, old rows included
        "passed": int(table["passed"].sum()),
        "quarantined": int((~table["passed"]).sum()),
        "missing_candles": int(table["missing_candles"].sum()),
    }


# --------------------------------------------------------------------------- pre-land (worker)


def _preland() -> dict:
    from include.config.loader import load_config
    from include.ingest import land, plan_incremental, publish, validate

    config = load_config()
    now = datetime.now(timezone.utc)
    at = now - timedelta(hours=1)
    run_key = "bench_preland"
    began = time.perf_counter()
    jobs = plan_incremental(config, at)
    landings = [land(config, job, run_key) for job in jobs]
    outcomes = [validate(config, landing) for landing in landings]
    summary = publish(config, run_key)
    seconds = time.perf_counter() - began
    return {
        "now": now.isoformat(),
        "landed_up_to": at.isoformat(timespec="seconds"),
        "jobs": len(jobs),
        "candles": sum(x["rows"] for x in landings),
        "partitions": sum(o["partitions"] for o in outcomes),
        "passed": summary.passed,
        "quarantined": len(summary.quarantined),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preland", action="store_true", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(_preland()))


if __name__ == "__main__":
    main()
