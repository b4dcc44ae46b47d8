"""market_data_ingest and market_data_backfill run through Airflow on the simulator.

Each DAG run is a real `airflow dags test` in a subprocess with its own
AIRFLOW_HOME and SQLite metadata database, on a small universe.
"""
import json
import sqlite3

import pandas as pd
import pytest

from include.config.schema import Simulator
from include.sources.sim.exchange import SimExchange
from tests.dags.isolated_airflow import isolated_airflow

CONFIG = """
universe:
  symbols: [BTC/USDT, ETH/USDT]
  timeframes: [1h]
  exchanges:
    - {id: sim_alpha, source: sim}
    - {id: sim_gamma, source: sim}
history: {start: {1h: 3d}}
ingest: {task_retries: 1, retries: 1, retry_base_delay_s: 0}
"""
LABELS = {f"{e} {s} 1h" for e in ("sim_alpha", "sim_gamma") for s in ("BTC/USDT", "ETH/USDT")}


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory):
    run = isolated_airflow(tmp_path_factory.mktemp("airflow-run"), CONFIG)
    return run.root, run


def _raw_rows(root):
    frame = pd.read_parquet(root / "data" / "raw")
    return frame


HOUR_MS = 3_600_000


def _sim_candles(exchange: str, symbol: str, first_ms: int, last_ms: int) -> list[list[float]]:
    """The simulator's hourly candles with first_ms <= open time <= last_ms (the config's default seed)."""
    client = SimExchange(exchange, Simulator().seed, clock=lambda: last_ms + 2 * HOUR_MS)
    rows = client.fetch_ohlcv(symbol, "1h", since=first_ms, limit=1000)
    return [list(r) for r in rows if r[0] <= last_ms]


def _series_rows(raw: pd.DataFrame, exchange: str, symbol: str) -> pd.DataFrame:
    rows = raw[(raw["exchange"] == exchange) & (raw["symbol"] == symbol.replace("/", "-"))]
    return rows.sort_values("timestamp")


def _ms(stamps: pd.Series) -> list[int]:
    return stamps.astype("datetime64[ms, UTC]").astype("int64").tolist()


def test_ingest_lands_validates_and_announces(airflow_env):
    root, run = airflow_env
    result = run("dags test market_data_ingest")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]

    raw = _raw_rows(root)
    assert set(raw["exchange"]) == {"sim_alpha", "sim_gamma"}
    assert len(raw) > 4 * 70  # 3 days of hourly candles per series
    assert not raw.duplicated(["exchange", "symbol", "timeframe", "timestamp"]).any()
    # every series covers the same window, with exactly the simulator's candles in it
    first, last = _ms(raw["timestamp"].agg(["min", "max"]))
    for label in LABELS:
        exchange, symbol, _ = label.split()
        stored = _series_rows(raw, exchange, symbol)
        want = _sim_candles(exchange, symbol, first, last)
        assert _ms(stored["timestamp"]) == [int(r[0]) for r in want], label
        assert stored["close"].tolist() == [r[4] for r in want], label
    alpha = _ms(_series_rows(raw, "sim_alpha", "BTC/USDT")["timestamp"])
    assert alpha == list(range(first, last + 1, HOUR_MS))  # sim_alpha never drops a candle

    (results_file,) = (root / "data" / "validation" / "results").glob("run=*.parquet")
    results = pd.read_parquet(results_file)
    assert results["passed"].all()
    assert {f"{r.exchange} {r.symbol} {r.timeframe}" for r in results.itertuples()} == LABELS
    assert results["rows"].sum() == len(raw)  # every validated row was published, nothing else
    assert (root / "data" / "validation" / "data_docs" / "index.html").is_file()
    assert not any((root / "data" / "landing").iterdir())  # the run cleaned up after itself

    db = sqlite3.connect(root / "airflow.db")
    events = db.execute(
        "select e.extra from asset_event e join asset a on a.id = e.asset_id where a.uri = ?",
        ("peaktrade://market-data/validated-candles",),
    ).fetchall()
    assert len(events) == 1 and json.loads(events[0][0])["passed"] == len(results)
    indexes = {r[0] for r in db.execute("select rendered_map_index from task_instance where task_id = 'land'")}
    assert indexes == LABELS


def test_second_run_is_incremental_and_adds_no_duplicates(airflow_env):
    root, run = airflow_env
    before = _raw_rows(root)
    result = run("dags test market_data_ingest")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    after = _raw_rows(root)
    assert not after.duplicated(["exchange", "symbol", "timeframe", "timestamp"]).any()
    new_rows = len(after) - len(before)
    assert new_rows <= 4  # at most one newly closed hour per series
    output = result.stdout + result.stderr
    assert "planned 4 series" in output
    if new_rows == 0:  # nothing new: publish skips, so no second asset event wakes downstream DAGs
        assert "no new candles landed: nothing to validate or publish" in output


def test_backfill_with_bad_params_fails_before_any_work(airflow_env):
    root, run = airflow_env
    conf = json.dumps({"exchange": "sim_alpha", "symbols": ["BTC/USDX"], "timeframe": "1h", "start": "2026-01-01", "end": "2026-01-02"})
    result = run(f"dags test market_data_backfill -c '{conf}'")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "symbol 'BTC/USDX' is not listed on exchange 'sim_alpha'" in output
    assert "task_id=land" not in output.split("is not listed")[1]  # nothing ran after the check
    assert "task_id=publish" not in output.split("is not listed")[1]  # publish is upstream_failed, not retried


def test_backfill_lands_a_past_window(airflow_env):
    root, run = airflow_env
    conf = json.dumps({"exchange": "sim_gamma", "symbols": ["ETH/USDT"], "timeframe": "1h", "start": "2025-06-01", "end": "2025-06-02"})
    result = run(f"dags test market_data_backfill -c '{conf}'")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    raw = _raw_rows(root)
    window = raw[(raw["exchange"] == "sim_gamma") & (raw["symbol"] == "ETH-USDT")]
    day = window["timestamp"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d")  # raw's partitions are months for 1h
    days = window[day.isin(["2025-06-01", "2025-06-02"])].sort_values("timestamp")
    # two full days of hourly candles, exactly the simulator's (a simulated venue may skip one or two)
    start = int(pd.Timestamp("2025-06-01", tz="UTC").value // 1_000_000)
    want = _sim_candles("sim_gamma", "ETH/USDT", start, start + 47 * HOUR_MS)
    assert _ms(days["timestamp"]) == [int(r[0]) for r in want]
    assert days["close"].tolist() == [r[4] for r in want]
