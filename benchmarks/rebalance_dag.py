"""Benchmark: wall time of a paper `rebalance` over 20 symbols through Airflow, with the time per task.

The desk trades 20 symbols on sim_alpha: the simulator's 8 assets in USDT and its
synthetic assets SYN01..SYN12 (`simulator.synthetic_assets: 12`). A worker prepares the
data dir the way the DAG-run tests do (tests/execution/desk_support.py): DAYS_1D days of
1d and DAYS_1H days of 1h simulated candles written to raw/ as validated partitions
(the landing gate has its own benchmark), then the real warehouse path, `dbt build
--select +fct_daily_returns` and its Parquet export, which the optimiser reads. Then, in a
temporary AIRFLOW_HOME with its own SQLite metadata DB (`airflow db migrate`, the duckdb
pool), two timed runs of `airflow dags test rebalance -c '{"dry_run": false}'`:

* paper: from all cash to the optimiser's targets (every symbol bought);
* again: the same run once more, already at target (drift below the threshold: no order).

Reported per run: wall time of the `airflow dags test` process, the DAG run's own duration
and each task's duration from the metadata DB (task_instance start/end), and the
summarise task's XCom (orders, fills, rejections, slippage, equity). The wall time minus
the DAG run is the CLI's start-up and DAG parsing; the DAG run minus the sum of its tasks
(which run one after another) is Airflow's time between tasks.

The preparation runs as a worker: `python -m benchmarks.rebalance_dag --prepare --out F`.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import ROOT, airflow_env, run_worker, tail, write_yaml

DAG_ID = "rebalance"
VENUE = "sim_alpha"
REAL_SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "DOGE/USDT", "ADA/USDT", "AVAX/USDT"]
SYNTHETIC_ASSETS = 12
SYMBOLS = REAL_SYMBOLS + [f"SYN{n:02d}/USDT" for n in range(1, SYNTHETIC_ASSETS + 1)]
NOW = datetime(2024, 6, 1, 0, 30, tzinfo=timezone.utc)  # the simulated venue's clock, as in the DAG-run tests
DAYS_1D = 120
DAYS_1H = 2
SEED = 7
METHOD = "risk_parity"  # every symbol gets a weight, so the paper run orders all 20
CONF = {"dry_run": False}
TIMEOUT_S = 900
# The order in which the DAG runs its tasks (dags/rebalance.py), for the table.
TASKS = ("reconcile_start", "load_positions", "compute_targets", "build_orders", "check_risk", "submit_orders",
         "track_fills", "reconcile_end", "publish_ledger", "summarise")


def write_config(path: Path) -> Path:
    return write_yaml(
        path,
        {
            "data_dir": "data",  # overridden by PEAKTRADE_DATA_DIR
            "universe": {"symbols": SYMBOLS, "timeframes": ["1h", "1d"], "exchanges": [{"id": VENUE, "source": "sim"}]},
            "history": {"start": {"1h": f"{DAYS_1H + 1}d", "1d": f"{DAYS_1D}d"}},
            "simulator": {"seed": SEED, "synthetic_assets": SYNTHETIC_ASSETS},
            "portfolio": {"method": METHOD, "lookback_days": DAYS_1D, "max_weight": 0.2, "cash_buffer": 0.02},
            "execution": {
                "venue": VENUE,
                "drift_threshold": 0.005,  # below the ~5% weight per symbol, so the first run moves every one
                "fill_timeout_s": 0,  # the paper venue fills at once; nothing to wait for
                "risk": {"max_order_notional": 60_000, "max_position_weight": 0.5, "max_daily_turnover": 10,
                         "min_notional": 10},
            },
        },
    )


# --------------------------------------------------------------------------- orchestration (parent)


def run(tmp: Path, progress=print) -> dict:
    base = tmp / "rebalance"
    home, data = base / "airflow_home", base / "data"
    (home / "logs").mkdir(parents=True, exist_ok=True)
    env = airflow_env(home)
    env.pop("PEAKTRADE_LEDGER_URL", None)  # the ledger stays in the temporary data dir (SQLite)
    env.update(PEAKTRADE_DATA_DIR=str(data), PEAKTRADE_CONFIG=str(write_config(base / "peak_trade.yaml")),
               PEAKTRADE_REPORTS_DIR=str(base / "reports"))
    airflow = str(Path(sys.executable).parent / "airflow")

    began = time.perf_counter()
    prepared = run_worker("benchmarks.rebalance_dag", ["--prepare"], env, base / "prepare.json", base / "prepare.log")
    prepared["wall_s"] = round(time.perf_counter() - began, 2)
    progress(f"  prepare: {prepared['candles']:,} candles landed in {prepared['land_s']:.1f} s, dbt build "
             f"+fct_daily_returns {prepared['dbt_build_s']:.1f} s, export {prepared['export_s']:.1f} s")

    setup = {"prepare": prepared}
    began = time.perf_counter()
    _run([airflow, "db", "migrate"], env, base / "db-migrate.log")
    _run([airflow, "pools", "set", "duckdb", "1", "DuckDB file: one task at a time"], env, base / "pools.log")
    setup["db_migrate_and_pool_s"] = round(time.perf_counter() - began, 2)
    progress(f"  airflow db migrate + duckdb pool: {setup['db_migrate_and_pool_s']:.1f} s")

    payload: dict = {
        "parameters": {
            "dag_id": DAG_ID,
            "command": f"airflow dags test {DAG_ID} -c '{json.dumps(CONF)}'",
            "venue": VENUE,
            "symbols": SYMBOLS,
            "series": len(SYMBOLS),
            "synthetic_assets": SYNTHETIC_ASSETS,
            "candles": {"1d": f"{DAYS_1D} days", "1h": f"{DAYS_1H} days"},
            "venue_clock": NOW.isoformat(),
            "method": METHOD,
            "broker": "paper",
            "executor": env.get("AIRFLOW__CORE__EXECUTOR"),
            "metadata_db": "sqlite (temporary)",
            "order": "prepare (land, dbt build, export), db migrate + pool, paper run, the same run again",
        },
        "setup": setup,
    }
    for kind in ("paper", "again"):
        payload[kind] = _timed_dag_run(airflow, env, home, base / f"dags-test-{kind}.log")
        progress(_line(kind, payload[kind]))
    if payload["paper"]["orders"] != len(SYMBOLS):
        raise RuntimeError(f"the paper run placed {payload['paper']['orders']} orders, expected one per symbol "
                           f"({len(SYMBOLS)}); rejected: {payload['paper']['rejected']}")
    return payload


def _line(kind: str, r: dict) -> str:
    slowest = max(r["task_seconds"].items(), key=lambda kv: kv[1])
    return (f"  {kind} dags test: {r['wall_s']:.1f} s wall (DAG run {r['dag_run_s']:.1f} s), {r['orders']} orders, "
            f"{r['fills']} fills; slowest task {slowest[0]} {slowest[1]:.1f} s")


def _run(cmd: list[str], env: dict, log: Path) -> None:
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}")


def _timed_dag_run(airflow: str, env: dict, home: Path, log: Path) -> dict:
    load = os.getloadavg()[0]
    began = time.perf_counter()
    _run([airflow, "dags", "test", DAG_ID, "-c", json.dumps(CONF)], env, log)
    result = {"wall_s": round(time.perf_counter() - began, 2), "load_average_1m_before": round(load, 2)}
    result.update(_inspect_db(home / "airflow.db"))
    if result["state"] != "success":
        raise RuntimeError(f"DAG run {result['run_id']} ended {result['state']}; last lines of {log}:\n{tail(log)}")
    return result


def _inspect_db(db: Path) -> dict:
    """The newest rebalance run: its duration, each task's duration, the summarise XCom."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        dag_run_id, run_id, state, start, end = con.execute(
            "SELECT id, run_id, state, start_date, end_date FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1",
            (DAG_ID,),
        ).fetchone()
        tis = con.execute(
            "SELECT task_id, state, start_date, end_date FROM task_instance WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, run_id),
        ).fetchall()
        summary = con.execute(
            "SELECT value FROM xcom WHERE dag_run_id = ? AND task_id = 'summarise' AND key = 'return_value'",
            (dag_run_id,),
        ).fetchone()
    finally:
        con.close()
    seconds = {task: round((_ts(t1) - _ts(t0)).total_seconds(), 2) for task, _s, t0, t1 in tis if t0 and t1}
    order = {task: i for i, task in enumerate(TASKS)}
    out = {
        "run_id": run_id,
        "state": state,
        "dag_run_s": round((_ts(end) - _ts(start)).total_seconds(), 2) if start and end else None,
        "task_states": {task: s for task, s, *_ in tis},
        "task_seconds": dict(sorted(seconds.items(), key=lambda kv: order.get(kv[0], len(TASKS)))),
        "task_seconds_total": round(sum(seconds.values()), 2),
    }
    # The tasks run one after another, so the rest of the DAG run is Airflow between them.
    out["between_tasks_s"] = round(out["dag_run_s"] - out["task_seconds_total"], 2) if out["dag_run_s"] else None
    s = json.loads(summary[0]) if summary and isinstance(summary[0], (str, bytes)) else (summary or [{}])[0] or {}
    bps = [f["slippage_bps"] for f in s.get("fills", []) if f.get("slippage_bps") is not None]
    out.update({
        "orders": len(s.get("orders", [])),
        "fills": len(s.get("fills", [])),
        "rejected": [f"{r['symbol']}: {r['rule']}: {r['reason']}" for r in s.get("rejected", [])],
        "slippage_total": round(float(s.get("slippage_total") or 0.0), 2),
        "slippage_bps_mean": round(sum(bps) / len(bps), 2) if bps else None,
        "optimisation": s.get("optimisation"),
        "equity_before": s.get("equity_before"),
        "equity_after": s.get("equity_after"),
        "symbols_held_after": sum(1 for w in (s.get("weights_after") or {}).values() if w),
    })
    return out


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(str(value))


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    """Rows for benchmarks.run's summary table: each run, then each task of the paper run."""
    p = payload["setup"]["prepare"]
    rows = [(f"{DAG_ID}: prepare data dir", f"{p['wall_s']:.1f} s",
             f"{p['candles']:,} candles ({payload['parameters']['series']} symbols), land {p['land_s']:.1f} s, "
             f"dbt build +fct_daily_returns {p['dbt_build_s']:.1f} s, export {p['export_s']:.1f} s")]
    for kind, what in (("paper", "from cash to targets"), ("again", "already at target")):
        r = payload[kind]
        rows.append((f"{DAG_ID} {kind} ({what})", f"{r['wall_s']:.1f} s wall",
                     f"DAG run {r['dag_run_s']:.1f} s (tasks {r['task_seconds_total']:.1f} s, between tasks "
                     f"{r['between_tasks_s']:.1f} s); {r['orders']} orders, "
                     f"{r['fills']} fills, {len(r['rejected'])} rejected"))
    for kind in ("paper", "again"):
        for task, seconds in payload[kind]["task_seconds"].items():
            rows.append((f"{DAG_ID} {kind}: {task}", f"{seconds:.2f} s", ""))
    return rows


# --------------------------------------------------------------------------- preparation (worker)


def _prepare() -> dict:
    import pandas as pd

    from include.checked_config import load_checked_config
    from include.landing.store import store_candles
    from include.paths import DataPaths
    from include.series import Series
    from include.sources.sim.exchange import SimExchange
    from include.timeframes import DAY_MS, to_ms
    from include.warehouse.dbt_runner import run_dbt
    from include.warehouse.exports import export_marts

    config = load_checked_config()  # the benchmark's config passes the project's checks before any work
    data = Path(os.environ["PEAKTRADE_DATA_DIR"])
    raw = DataPaths(data).raw
    client = SimExchange(VENUE, config.simulator.seed, clock=lambda: to_ms(NOW),
                         synthetic_assets=config.simulator.synthetic_assets)
    end = to_ms(NOW) - to_ms(NOW) % DAY_MS  # today's candles are still forming: land up to midnight
    began, candles = time.perf_counter(), 0
    for symbol in SYMBOLS:
        for timeframe, days in (("1d", DAYS_1D), ("1h", DAYS_1H)):
            rows = client.fetch_ohlcv(symbol, timeframe, since=end - days * DAY_MS, limit=5000)
            frame = pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"])
            frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True) \
                .astype("datetime64[ms, UTC]")
            frame = frame[frame["timestamp"] < pd.Timestamp(end, unit="ms", tz="UTC")]
            series = Series(exchange=VENUE, symbol=symbol, timeframe=timeframe)
            store_candles(raw, series, frame)
            candles += len(frame)
    landed = time.perf_counter() - began

    began = time.perf_counter()
    run_dbt(["build", "--select", "+fct_daily_returns"], data)
    built = time.perf_counter() - began
    began = time.perf_counter()
    exported = export_marts(data, ("fct_daily_returns",))
    rows = sum(n for _path, n in exported.values())
    return {"candles": candles, "land_s": round(landed, 2), "dbt_build_s": round(built, 2),
            "export_s": round(time.perf_counter() - began, 2), "fct_daily_returns_rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(_prepare()))


if __name__ == "__main__":
    main()
