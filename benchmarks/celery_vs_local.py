"""Benchmark: the same `nightly_sweep` (a 20,000-trial grid) on the LocalExecutor and on two Celery workers.

Both stacks are started by scripts/scaleout.py with the same PostgreSQL metadata database, data and
config; only the executor differs, with the same number of task slots (LocalExecutor parallelism
4 from .airflow.env; two workers of concurrency 2). The sweep: sma_crossover on two simulated 1h
series of DAYS days (written as the fct_features export the chunk tasks read), fast 2..101 x
slow 110..309 = 20,000 trials in CHUNKS chunks. Triggered through the REST API v2 and polled.

Reported per executor: the run's wall time (trigger to success) and, per chunk task, the
queued->running latency (task instance queued_when -> start_date), the task's duration, and that
duration less the chunk's compute (the same chunk run in this process, no Airflow: the median of
COMPUTE_SAMPLES chunks), i.e. Airflow's per-task cost. Then the ratio Celery / Local of the wall time.
"""
from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.common import write_yaml

SWEEP = "bench_grid"
FAST = (2, 101)
SLOW = (110, 309)
TRIALS = (FAST[1] - FAST[0] + 1) * (SLOW[1] - SLOW[0] + 1)
CHUNK_SIZE = 500
CHUNKS = -(-TRIALS // CHUNK_SIZE)
COMPUTE_SAMPLES = 3
DAYS = 180
SYMBOLS = ("BTC/USDT", "ETH/USDT")
EXECUTORS = ("LocalExecutor", "CeleryExecutor")
TIMEOUT_S = 3600


def write_config(path: Path) -> Path:
    series = [{"exchange": "sim_alpha", "symbol": s} for s in SYMBOLS]
    return write_yaml(path, {
        "universe": {"symbols": ["BTC/USDT", "ETH/USDT"], "timeframes": ["1h"],
                     "exchanges": [{"id": "sim_alpha", "source": "sim"}]},
        "history": {"start": {"1h": "3d"}},
        "sweeps": [{"name": SWEEP, "strategy": "sma_crossover", "universe": series, "timeframe": "1h",
                    "params": {"fast": {"low": FAST[0], "high": FAST[1], "step": 1},
                               "slow": {"low": SLOW[0], "high": SLOW[1], "step": 1},
                               "kind": "sma", "mode": "long_only"},
                    "method": "grid", "budget": TRIALS, "chunk_size": CHUNK_SIZE}],
    })


def export_features(data: Path) -> Path:
    """DAYS of simulated 1h bars per symbol in the fct_features export's shape (OHLCV; strategies compute
    what the export lacks), the file every chunk task reads."""
    import pandas as pd

    from include.sources.sim.exchange import SimExchange
    from include.timeframes import DAY_MS, to_ms

    now = datetime(2024, 6, 1, tzinfo=timezone.utc)
    client = SimExchange("sim_alpha", 7, clock=lambda: to_ms(now))
    frames = []
    for symbol in SYMBOLS:
        rows = client.fetch_ohlcv(symbol, "1h", since=to_ms(now) - DAYS * DAY_MS, limit=DAYS * 24)
        frame = pd.DataFrame(rows, columns=["ts", "open", "high", "low", "close", "volume"])
        frame["ts"] = pd.to_datetime(frame["ts"].astype("int64"), unit="ms", utc=True)
        frames.append(frame.assign(exchange="sim_alpha", symbol=symbol, timeframe="1h"))
    path = data / "warehouse" / "exports" / "fct_features.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return path


@contextmanager
def _env(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def chunk_compute_s(config: Path, data: Path) -> list[float]:
    """Seconds for COMPUTE_SAMPLES chunks run in this process (the work of one chunk task, no Airflow)."""
    from include.checked_config import load_checked_config
    from include.sweeps.pipeline import plan_sweeps, run_sweep_chunk

    with _env(PEAKTRADE_CONFIG=str(config), PEAKTRADE_DATA_DIR=str(data)):
        cfg = load_checked_config(strategies=True)
        reference = datetime.now(timezone.utc)
        chunks = plan_sweeps(cfg, [SWEEP], reference)
        assert len(chunks) == CHUNKS, (len(chunks), CHUNKS)
        seconds = []
        for chunk in chunks[:COMPUTE_SAMPLES]:
            t0 = time.perf_counter()
            run_sweep_chunk(load_checked_config(), chunk, "bench_compute", reference)
            seconds.append(time.perf_counter() - t0)
    return seconds


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"median": round(statistics.median(values), 2), "p90": round(values[int(0.9 * (len(values) - 1))], 2),
            "max": round(values[-1], 2), "mean": round(statistics.fmean(values), 2)}


def one_executor(tmp: Path, executor: str, config: Path, data: Path, compute_s: float, progress) -> dict:
    from scripts.scaleout import scaleout_stack

    root = tmp / executor
    t_up = time.perf_counter()
    # No cron runs: only the triggered sweep runs.
    with scaleout_stack(root, config=config, data_dir=data, executor=executor, redis_db=3,
                        extra_env={"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}) as stack:
        startup = time.perf_counter() - t_up
        stack.unpause("nightly_sweep")
        progress(f"  {executor}: stack up in {startup:.0f} s, sweeping {TRIALS:,} trials in {CHUNKS} chunks")
        t0 = time.perf_counter()
        run_id = stack.trigger("nightly_sweep", {"sweeps": [SWEEP]})["dag_run_id"]
        state = stack.wait_run("nightly_sweep", run_id, timeout=TIMEOUT_S)
        wall = time.perf_counter() - t0
        if state != "success":
            raise RuntimeError(f"nightly_sweep on {executor} ended {state}; logs under {root / 'home' / 'logs'}")
        tis = stack.task_instances("nightly_sweep", run_id)
        run = stack.request("GET", f"/api/v2/dags/nightly_sweep/dagRuns/{run_id}")
    chunks = [ti for ti in tis if ti["task_id"] == "run_sweep_chunk"]
    latency = [(_ts(ti["start_date"]) - _ts(ti["queued_when"])).total_seconds() for ti in chunks]
    duration = [ti["duration"] for ti in chunks]
    hosts: dict[str, int] = {}
    for ti in chunks:
        hosts[ti["hostname"]] = hosts.get(ti["hostname"], 0) + 1
    progress(f"  {executor}: {wall:.0f} s; queued->running median {statistics.median(latency):.1f} s, "
             f"chunk task median {statistics.median(duration):.1f} s (compute {compute_s:.1f} s)")
    return {
        "stack_startup_s": round(startup, 1),
        "sweep_wall_s": round(wall, 1),
        "dag_run_s": round((_ts(run["end_date"]) - _ts(run["start_date"])).total_seconds(), 1),
        "chunk_tasks": len(chunks),
        "chunks_per_host": hosts,
        "queued_to_running_s": _stats(latency),
        "chunk_task_duration_s": _stats(duration),
        "chunk_task_overhead_s": _stats([d - compute_s for d in duration]),
        "other_tasks_s": {ti["task_id"]: ti["duration"] for ti in tis if ti["task_id"] != "run_sweep_chunk"},
    }


def run(tmp: Path, progress=print) -> dict:
    data = tmp / "celery_vs_local" / "data"
    export_features(data)
    config = write_config(tmp / "celery_vs_local" / "config.yaml")
    compute = chunk_compute_s(config, data)
    compute_s = statistics.median(compute)
    progress(f"  one chunk of {CHUNK_SIZE} trials in this process: {compute_s:.2f} s (median of {len(compute)})")
    results = {executor: one_executor(tmp, executor, config, data, compute_s, progress) for executor in EXECUTORS}
    local, celery = results["LocalExecutor"], results["CeleryExecutor"]
    return {
        "parameters": {"trials": TRIALS, "chunk_size": CHUNK_SIZE, "chunks": CHUNKS, "task_slots": 4,
                       "celery_workers": 2, "worker_concurrency": 2, "local_parallelism": 4,
                       "series": [f"sim_alpha {s} 1h, {DAYS} days" for s in SYMBOLS]},
        "chunk_compute_in_process_s": [round(s, 2) for s in compute],
        "results": results,
        "celery_over_local_wall": round(celery["sweep_wall_s"] / local["sweep_wall_s"], 2),
    }


def table_rows(payload: dict) -> list[tuple[str, str, str]]:
    p, rows = payload["parameters"], []
    for executor, r in payload["results"].items():
        rows.append((f"nightly_sweep {executor}", f"{r['sweep_wall_s']:.0f} s",
                     f"{p['trials']:,} trials, {p['chunks']} chunks; queued->running median "
                     f"{r['queued_to_running_s']['median']} s, chunk task median {r['chunk_task_duration_s']['median']} s"
                     f" (Airflow's share {r['chunk_task_overhead_s']['median']} s)"))
    rows.append(("nightly_sweep Celery / Local", f"{payload['celery_over_local_wall']:.2f}x",
                 f"chunk compute {statistics.median(payload['chunk_compute_in_process_s']):.2f} s in process"))
    return rows
