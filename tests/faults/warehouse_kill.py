"""The warehouse build SIGKILLed mid-model, then run again: its tables must equal an uninterrupted build's.

The build is the one warehouse_build's producer task runs: `dbt build` over everything but the
sweep marts (operators/warehouse_tasks.py), started with include.warehouse.dbt_runner's own
command line and environment. Scenario: candles of two venues and two symbols (simulator, 1h)
for a history, built once; then more days land (a month file rewritten, so the incremental
models' landed-file watermark moves) and the data directory is copied: one copy is built
without interruption, the other has its build SIGKILLed (when a chosen model starts, after a
random delay, or on a plain timer) and is built again by run_dbt, as a retried task would.
Every table of the two warehouses is then compared row for row (wall-clock columns aside).

Used by tests/faults/test_warehouse_kill.py (make test) and benchmarks/soak_ingest.py (make soak).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from include.landing.store import store_candles
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.timeframes import to_ms
from include.warehouse.dbt_runner import dbt_command, run_dbt, warehouse_file

BUILD = ["build", "--exclude", "tag:sweeps", "resource_type:unit_test"]  # the producer task's selection
# make test leaves out the Python indicator model (a minute of Numba compiling per fresh process) and its mart
LEAN_BUILD = ["build", "--exclude", "tag:sweeps", "resource_type:unit_test", "int_indicators+"]
INCREMENTAL = ["stg_candles", "int_candles_resampled", "int_consolidated_price", "fct_risk_metrics_rolling",
               "fct_portfolio_risk_rolling", "int_indicators", "fct_features"]
SERIES = [Series(exchange=e, symbol=s, timeframe="1h") for e in ("sim_alpha", "sim_beta") for s in ("BTC/USDT", "ETH/USDT")]
HISTORY_START = datetime(2026, 7, 1, tzinfo=timezone.utc)
HISTORY_END = datetime(2026, 10, 20, tzinfo=timezone.utc)  # stage 1 builds up to here
LATEST_END = datetime(2026, 10, 24, 13, tzinfo=timezone.utc)  # stage 2 lands up to here
WALL_CLOCK_COLUMNS = {"computed_at"}  # when a row was computed: differs between any two builds
_START = re.compile(r"START sql \w+ model [\w.]*\.(\w+)")


@dataclass
class KilledBuild:
    how: str  # "model" (after a model started) or "timer"
    model: str | None
    delay_s: float
    killed: bool = False  # False when the build finished before the kill
    started: list[str] = field(default_factory=list)  # models dbt had started when it died


def land_candles(data: Path, start: datetime, end: datetime, hours_ago: float) -> None:
    """The simulator's hourly candles in [start, end) into raw, the files dated `hours_ago` (an earlier ingest)."""
    began = time.time() - 1
    for series in SERIES:
        client = SimExchange(series.exchange, 7, clock=lambda: to_ms(end) + 7_200_000)
        since, rows = to_ms(start), []
        while since < to_ms(end):
            page = [list(r) for r in client.fetch_ohlcv(series.symbol, "1h", since=since, limit=1000)]
            page = [r for r in page if r[0] < to_ms(end)]
            if not page:
                break
            rows += page
            since = int(page[-1][0]) + 3_600_000
        frame = pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True).astype("datetime64[ms, UTC]")
        store_candles(data / "raw", series, frame)
    for path in (data / "raw").rglob("*.parquet"):
        stat = path.stat()
        if stat.st_mtime >= began:
            os.utime(path, (stat.st_atime, stat.st_mtime - 3600 * hours_ago))


def prepare(work: Path, build: list[str]) -> Path:
    """A data directory with a built warehouse over the history, and the newer days landed since."""
    data = work / "stage1"
    shutil.rmtree(data, ignore_errors=True)
    land_candles(data, HISTORY_START, HISTORY_END, hours_ago=2)
    run_dbt(build, data)
    land_candles(data, HISTORY_END - timedelta(days=1), LATEST_END, hours_ago=1)  # re-lands the last day too
    return data


def copy_of(stage: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(stage, target)  # copy2: the raw files keep their times, so the watermark sees the same files
    return target


def kill_build(data: Path, build: list[str], *, model: str | None, delay_s: float) -> KilledBuild:
    """Start the build; SIGKILL it `delay_s` after `model` starts (model None: after the build starts)."""
    command, env = dbt_command(build, data)
    outcome = KilledBuild("model" if model else "timer", model, delay_s)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    fire = threading.Event()
    if model is None:
        fire.set()

    def killer() -> None:
        fire.wait()
        time.sleep(delay_s)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            outcome.killed = True

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    for line in process.stdout:  # dbt logs "N of M START sql incremental model main.<name>" as a model starts
        started = _START.search(line)
        if started:
            outcome.started.append(started.group(1))
            if started.group(1) == model:
                fire.set()
    process.wait()
    fire.set()
    thread.join()
    return outcome


def tables(data: Path) -> dict[str, pd.DataFrame]:
    """Every table and view of the warehouse, rows in a canonical order, wall-clock columns dropped.

    Paths into the data directory (stg_candles.source_file) read `<data>`: the builds compared run in two copies.
    Staging tables `<model>__dbt_tmp<time>` are left out: every incremental build of the Python model
    int_indicators leaves one (dbt-duckdb does not drop it), killed or not.
    """
    import duckdb

    out, prefix = {}, str(Path(data).resolve())
    with duckdb.connect(str(warehouse_file(data)), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
        for name in names:
            if "__dbt_tmp" in name:  # dbt-duckdb leaves a Python incremental model's staging table, named by time
                continue
            frame = con.execute(f'select * from "{name}"').df()
            frame = frame.drop(columns=[c for c in frame.columns if c in WALL_CLOCK_COLUMNS])
            for column in frame.columns:
                if pd.api.types.is_string_dtype(frame[column]) and frame[column].map(lambda v: isinstance(v, str)).all():
                    frame[column] = frame[column].str.replace(prefix, "<data>", regex=False)
            out[name] = _canonical_order(frame)
    return out


def _canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by every column: text and lists by their text, numbers by value (floats last, as tie-breakers)."""
    if not len(frame):
        return frame
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    keys = pd.DataFrame({c: frame[c].astype(str) if frame[c].dtype == object else frame[c]
                         for c in frame.columns if c not in floats})
    keys[floats] = frame[floats]
    order = keys.sort_values([*keys.columns], kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def differences(want: dict[str, pd.DataFrame], got: dict[str, pd.DataFrame]) -> list[str]:
    problems = [f"table {t} missing after the rebuild" for t in sorted(set(want) - set(got))]
    problems += [f"table {t} only after the rebuild" for t in sorted(set(got) - set(want))]
    for name in sorted(set(want) & set(got)):
        a, b = want[name], got[name]
        if list(a.columns) != list(b.columns):
            problems.append(f"{name}: columns {list(b.columns)}, clean build {list(a.columns)}")
            continue
        if len(a) != len(b):
            keys = list(a.columns[:4])
            extra = len(b) - len(b.drop_duplicates(keys))
            problems.append(f"{name}: {len(b)} rows, clean build {len(a)} ({extra} duplicated on {keys})")
            continue
        try:
            # not bit-exact: DuckDB's parallel aggregates sum floats in no fixed order, in any two builds
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
        except AssertionError as exc:
            problems.append(f"{name}: values differ from the clean build: {str(exc).splitlines()[0:3]}")
    return problems
