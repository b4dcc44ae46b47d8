"""nightly_sweep runs through Airflow (`airflow dags test`) on the real candles.

The real BTC candles, resampled to 1h, stand in for the warehouse's Parquet export
of fct_features (what the chunk tasks read); the run maps one task per chunk with a
readable map index, writes one Parquet file per chunk, loads the results into the
warehouse and renders heatmaps. Running chunks of the same run again (a retry, a
cleared task) resumes: done chunks are not rewritten, a missing one is computed.
"""
import sqlite3

import duckdb
import pandas as pd
import pytest

from tests.dags.isolated_airflow import isolated_airflow
from tests.warehouse.conftest import real_candles

CONFIG = """
universe:
  symbols: [BTC/USDT, ETH/USDT]
  timeframes: [1h]
  exchanges:
    - {id: sim_alpha, source: sim}
history: {start: {1h: 3d}}
sweeps:
  - name: sma_grid
    strategy: sma_crossover
    universe: [{exchange: sim_alpha, symbol: BTC/USDT}, {exchange: sim_alpha, symbol: ETH/USDT}]
    timeframe: 1h
    params: {fast: {low: 4, high: 12, step: 4}, slow: {low: 20, high: 40, step: 10}, kind: sma, mode: long_only}
    method: grid
    budget: 20
    chunk_size: 4
"""


def export_real_candles(data_dir):
    """Two real series as 1h bars in the fct_features export's shape (OHLCV columns; strategies
    compute what the export lacks)."""
    frames = list(real_candles().values())[:2]
    rows = []
    for symbol, frame in zip(("BTC/USDT", "ETH/USDT"), frames):
        bars = frame.set_index("timestamp").resample("1h").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).dropna()
        rows.append(bars.reset_index().rename(columns={"timestamp": "ts"}).assign(
            exchange="sim_alpha", symbol=symbol, timeframe="1h"))
    path = data_dir / "warehouse" / "exports" / "fct_features.parquet"
    path.parent.mkdir(parents=True)
    pd.concat(rows, ignore_index=True).to_parquet(path)


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep-run")
    export_real_candles(root / "data")
    run = isolated_airflow(root, CONFIG)
    assert run("pools set duckdb 1 'DuckDB file: one task at a time'").returncode == 0
    first = run("dags test nightly_sweep 2024-06-01")
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    return root, run


def test_chunks_are_mapped_with_readable_labels_and_written_once_each(sweep_run):
    root, _ = sweep_run
    files = sorted((root / "data" / "sweeps" / "sma_grid").glob("*/*.parquet"))
    assert len(files) == 3  # 3 x 3 grid = 9 trials in chunks of 4
    trials = pd.concat(pd.read_parquet(f) for f in files)
    assert len(trials) == 9 and trials["trial"].is_unique
    db = sqlite3.connect(root / "airflow.db")
    labels = {r[0] for r in db.execute("select rendered_map_index from task_instance where task_id = 'run_sweep_chunk'")}
    assert labels == {f"sma_grid: sma_crossover grid {k}/3" for k in (1, 2, 3)}


def test_results_land_in_the_warehouse_with_heatmaps(sweep_run):
    root, _ = sweep_run
    with duckdb.connect(str(root / "data" / "warehouse" / "peak_trade.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from fct_sweep_trials where sweep = 'sma_grid'").fetchone()[0] == 9
        best = con.execute("select count(*) from fct_sweep_best").fetchone()[0]
    assert best == 2  # one row per symbol
    heatmaps = list((root / "data" / "sweeps" / "sma_grid").glob("*/heatmaps/*.png"))
    assert heatmaps and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in heatmaps)


def test_rerunning_chunks_of_the_same_run_resumes(sweep_run):
    """A retry or a cleared task of the same run (what a killed sweep gets) skips chunks
    whose file exists and computes only the missing one."""
    root, run = sweep_run
    run_id = sqlite3.connect(root / "airflow.db").execute(
        "select run_id from dag_run where dag_id = 'nightly_sweep'").fetchone()[0]
    files = sorted((root / "data" / "sweeps" / "sma_grid").glob("*/*.parquet"))
    done, killed = files[0], files[1]
    stamp = done.stat().st_mtime_ns
    killed.unlink()
    for index in (0, 1):
        rerun = run(f"tasks test nightly_sweep run_sweep_chunk '{run_id}' --map-index {index}")
        assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-3000:]
        output = rerun.stdout + rerun.stderr
        assert ("exists, nothing to do" in output) == (index == 0)
    assert done.stat().st_mtime_ns == stamp
    assert len(pd.read_parquet(killed)) == 4  # chunk 2/3 computed again: trials 5 to 8 of the 9
