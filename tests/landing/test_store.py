"""The landing store: atomic writes, merging, incremental windows, failed landings.

Data is written under pytest's tmp_path; candles come from the offline
simulator, so every test is deterministic and needs no network.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import ccxt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from include.config.schema import ExchangeSpec, History, PeakTradeConfig, Universe
from include.errors import SourceError
from include.landing import store
from include.landing.land import incremental_window, land_series
from include.landing.store import (
    CANDLE_SCHEMA,
    candidate_days,
    candidate_file,
    last_timestamp,
    merge_candles,
    read_candles,
    read_stored,
    stored_days,
    stored_periods,
    write_atomic,
)
from include.paths import DataPaths
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.timeframes import DAY_MS, to_ms

SEED = 7
MINUTE = 60_000
T0 = to_ms(datetime(2024, 3, 1, tzinfo=timezone.utc))
SERIES = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1m")  # sim_alpha never drops a minute


def candles(start_ms: int, n: int, close: float = 100.0, step: int = MINUTE) -> pd.DataFrame:
    stamps = pd.to_datetime(np.arange(n, dtype="int64") * step + start_ms, unit="ms", utc=True).astype("datetime64[ms, UTC]")
    return pd.DataFrame(
        {"timestamp": stamps, "open": close, "high": close + 1.0, "low": close - 1.0, "close": close, "volume": 1.0}
    )


def leftovers(folder: Path) -> list[str]:
    """Everything in a partition folder except the candle file itself (temp files would show here)."""
    return sorted(p.name for p in folder.iterdir() if p.name != store.CANDLE_FILE)


def raw_snapshot(paths: DataPaths) -> dict[str, bytes]:
    return {str(p.relative_to(paths.raw)): p.read_bytes() for p in sorted(paths.raw.rglob("*")) if p.is_file()}


def sim_client(exchange: str, now_ms: int) -> SimExchange:
    return SimExchange(exchange, SEED, clock=lambda: now_ms)


# --------------------------------------------------------------------------- atomic writes


def test_write_atomic_round_trips_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "date=2024-03-01" / store.CANDLE_FILE
    first, second = candles(T0, 10, close=100.0), candles(T0, 12, close=200.0)

    write_atomic(first, target)
    write_atomic(second, target)  # replaces the first file

    assert leftovers(target.parent) == []
    assert pq.read_schema(target).equals(CANDLE_SCHEMA)
    pd.testing.assert_frame_equal(read_candles(target), second)


def test_write_atomic_conversion_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "date=2024-03-01" / store.CANDLE_FILE
    write_atomic(candles(T0, 10), target)
    before = target.read_bytes()
    broken = candles(T0, 10).astype({"close": object})
    broken.loc[3, "close"] = "not a price"  # cannot become float64

    with pytest.raises(pa.ArrowInvalid, match="Could not convert 'not a price'.*column close"):
        write_atomic(broken, target)

    assert target.read_bytes() == before
    assert leftovers(target.parent) == []


def test_write_atomic_crash_while_writing_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "date=2024-03-01" / store.CANDLE_FILE
    write_atomic(candles(T0, 10), target)
    before = target.read_bytes()
    written_to = []

    def crash_half_way(table, where, *args, **kwargs):
        written_to.append(Path(where))
        Path(where).write_bytes(b"PAR1 half a file")  # a partial file on disk, then the crash
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(candles(T0, 20, close=5.0), target)

    assert written_to and written_to[0] != target  # it wrote to a temporary name, never to the target
    assert target.read_bytes() == before
    assert leftovers(target.parent) == []


# --------------------------------------------------------------------------- merging


def test_merge_candles_deduplicates_with_new_rows_winning():
    old = candles(T0, 5, close=100.0)  # minutes 0..4
    new = candles(T0 + 3 * MINUTE, 4, close=200.0).iloc[::-1]  # minutes 3..6, newest first

    merged = merge_candles(old, new)

    assert merged["timestamp"].is_unique
    assert merged["timestamp"].is_monotonic_increasing
    assert list(merged.index) == list(range(7))
    minutes = ((merged["timestamp"].astype("int64") - T0) // MINUTE).tolist()
    assert minutes == list(range(7))
    assert merged["close"].tolist() == [100.0] * 3 + [200.0] * 4


def test_merge_candles_without_stored_rows_sorts_and_deduplicates_new():
    new = pd.concat([candles(T0 + MINUTE, 2, close=1.0), candles(T0, 2, close=2.0)], ignore_index=True)

    merged = merge_candles(None, new)

    assert merged["timestamp"].is_unique and merged["timestamp"].is_monotonic_increasing
    assert len(merged) == 3
    # minute 1 came twice; the later row (close 2.0) wins
    assert merged.set_index("timestamp")["close"].tolist() == [2.0, 2.0, 1.0]


# --------------------------------------------------------------------------- incremental window


def _config() -> PeakTradeConfig:
    return PeakTradeConfig(
        universe=Universe(symbols=["BTC/USDT"], timeframes=["1m"], exchanges=[ExchangeSpec(id="sim_alpha", source="sim")]),
        history=History(start={"1m": date(2024, 3, 1)}),
    )


def _land_validate_publish(paths, run, client, series, start_ms, end_ms, now_ms):
    from include.validation.gate import validate_series
    from include.validation.publish import publish

    landing = land_series(client, series, paths, run, start_ms, end_ms, now_ms)
    verdicts = validate_series(paths, run, series, [], _config().validation, 0.05)
    assert verdicts and all(v.passed for v in verdicts), [v.failed for v in verdicts if not v.passed]
    publish(paths, run, verdicts)
    return landing


def test_incremental_window_starts_at_history_start_when_nothing_landed(tmp_path):
    paths = DataPaths(tmp_path / "data")
    now = datetime(2024, 3, 2, 12, 30, 15, tzinfo=timezone.utc)

    start, end = incremental_window(paths, SERIES, _config(), now)

    assert start == T0
    assert end == to_ms(now)


def test_incremental_window_resumes_right_after_last_landed_candle(tmp_path):
    paths = DataPaths(tmp_path / "data")
    first_now = T0 + DAY_MS + 6 * 3_600_000 + 30_000  # 2024-03-02 06:00:30: last closed candle opens 05:59
    _land_validate_publish(paths, "run1", sim_client("sim_alpha", first_now), SERIES, T0, first_now, first_now)
    last = last_timestamp(paths.raw, SERIES)
    assert last == pd.Timestamp(first_now - 30_000 - MINUTE, unit="ms", tz="UTC")

    now = datetime(2024, 3, 2, 18, 0, 0, tzinfo=timezone.utc)
    start, end = incremental_window(paths, SERIES, _config(), now)

    assert start == int(last.value // 1_000_000) + MINUTE
    assert end == to_ms(now)

    landing = _land_validate_publish(paths, "run2", sim_client("sim_alpha", end), SERIES, start, end, end)
    assert pd.Timestamp(landing.first) == last + pd.Timedelta(minutes=1)
    assert landing.rows == (end - start) // MINUTE
    assert stored_periods(paths.raw, SERIES) == ["2024-03-01", "2024-03-02"]  # minutes: one file per day
    stored = read_stored(paths.raw, SERIES, stored_days(paths.raw, SERIES)).drop(columns="date")
    stamps = stored["timestamp"].astype("int64").to_numpy()
    assert stored["timestamp"].is_unique
    assert (np.diff(stamps) == MINUTE).all()  # one unbroken minute grid across both runs
    assert stamps[0] == T0 and stamps[-1] == to_ms(now) - MINUTE


# --------------------------------------------------------------------------- failed landing


class FailingExchange(SimExchange):
    """The simulator, except that its `fail_on`-th fetch_ohlcv call raises a non-transient error."""

    def __init__(self, exchange_id: str, seed: int, clock, fail_on: int):
        super().__init__(exchange_id, seed, clock)
        self.fail_on, self.calls = fail_on, 0

    def fetch_ohlcv(self, symbol, timeframe="1m", since=None, limit=None):
        self.calls += 1
        if self.calls >= self.fail_on:
            raise ccxt.ExchangeError(f"simulated outage on call {self.calls}")
        return super().fetch_ohlcv(symbol, timeframe, since, limit)


def test_landing_that_fails_mid_way_leaves_raw_untouched(tmp_path):
    paths = DataPaths(tmp_path / "data")
    hourly = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h")
    end = T0 + 36 * DAY_MS  # two landing chunks: 30 days, then 6
    now = end + DAY_MS
    _land_validate_publish(paths, "run1", sim_client("sim_alpha", now), hourly, T0, end, now)
    before = raw_snapshot(paths)
    assert sorted(before) == [f"exchange=sim_alpha/symbol=BTC-USDT/timeframe=1h/period={m}/candles.parquet"
                              for m in ("2024-03", "2024-04")]  # hours: one file per month

    # Another seed quotes other prices, so a candidate that leaked into raw would change its bytes.
    # 100-row pages: the first chunk (720 candles) takes calls 1-8, call 10 is inside the second chunk.
    client = FailingExchange("sim_alpha", SEED + 1, lambda: now, fail_on=10)
    # call 10 = the second page of the second chunk: since T0 + 30 days + 100 hours
    outage = "^sim_alpha BTC/USDT 1h since 2024-04-04 04:00: ExchangeError: simulated outage on call 10$"
    with pytest.raises(SourceError, match=outage) as failure:
        land_series(client, hourly, paths, "run2", T0, now, now, page_limit=100)
    assert type(failure.value) is SourceError  # not retried as transient

    assert client.calls == 10  # a non-transient error is not retried
    written = candidate_days(paths.landing("run2"), hourly)
    assert len(written) == 30  # the first chunk was landed before the failure...
    first = read_candles(candidate_file(paths.landing("run2"), hourly, written[0]))
    assert not first["close"].equals(read_stored(paths.raw, hourly, written[:1])["close"])
    assert raw_snapshot(paths) == before  # ...and raw did not change
    assert len(stored_days(paths.raw, hourly)) == 36
