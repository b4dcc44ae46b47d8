"""The one-time move of raw from day files to period files: result, idempotence, crashes, and its callers."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from include.landing import migrate, store
from include.landing.migrate import MigrationError, migrate_store
from include.landing.store import period_file, read_candles, series_dir, split_by_day, stored_periods, write_atomic
from include.paths import DataPaths
from include.series import Series
from include.sources.sim.exchange import SimExchange
from include.sources.paging import fetch_candles
from include.timeframes import DAY_MS, to_ms

HOURLY = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h")
MINUTE = Series(exchange="sim_beta", symbol="ETH/USDT", timeframe="1m")
DAILY = Series(exchange="sim_gamma", symbol="BTC/USDT", timeframe="1d")
START = to_ms(datetime(2024, 1, 30, tzinfo=timezone.utc))
NOW = START + 40 * DAY_MS
SPANS = {HOURLY: 5, MINUTE: 2, DAILY: 35}  # days landed: the hourly and daily series cross month ends


def sim_frames() -> dict[Series, pd.DataFrame]:
    frames = {}
    for series, days in SPANS.items():
        client = SimExchange(series.exchange, 7, clock=lambda: NOW)
        frames[series] = fetch_candles(client, series.symbol, series.timeframe, START, START + days * DAY_MS, NOW, limit=5000)
    return frames


def legacy_raw(data: Path, frames: dict[Series, pd.DataFrame]) -> None:
    """raw as the day layout wrote it: one date=<day>/candles.parquet per series and day."""
    for series, frame in frames.items():
        for day, rows in split_by_day(frame).items():
            write_atomic(rows, series_dir(DataPaths(data).raw, series) / f"date={day}" / store.CANDLE_FILE)


def files(data: Path) -> dict[str, bytes]:
    raw = DataPaths(data).raw
    return {str(p.relative_to(raw)): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}


def stored(data: Path, series: Series) -> pd.DataFrame:
    raw = DataPaths(data).raw
    return pd.concat([read_candles(period_file(raw, series, p)) for p in stored_periods(raw, series)], ignore_index=True)


@pytest.fixture(scope="module")
def frames():
    return sim_frames()


@pytest.fixture
def data(tmp_path, frames):
    legacy_raw(tmp_path, frames)
    return tmp_path


def test_day_files_become_period_files_with_every_candle(data, frames):
    summary = migrate_store(data)

    assert (summary.series, summary.day_files) == (3, 5 + 2 + 35)
    raw = DataPaths(data).raw
    assert stored_periods(raw, HOURLY) == ["2024-01", "2024-02"]
    assert stored_periods(raw, DAILY) == ["2024-01", "2024-02", "2024-03"]
    assert stored_periods(raw, MINUTE) == ["2024-01-30", "2024-01-31"]
    assert not list(raw.rglob("date=*"))
    for series, frame in frames.items():
        pd.testing.assert_frame_equal(stored(data, series), frame)
    assert not [p for p in raw.rglob(".*")]  # no temporary file left


def test_a_second_run_changes_nothing(data):
    migrate_store(data)
    after = files(data)

    summary = migrate_store(data)

    assert summary.day_files == 0 and summary.line() == "raw already uses period files: nothing to move"
    assert files(data) == after


def test_a_crash_after_a_period_file_is_written_is_finished_by_the_next_run(data, frames, tmp_path_factory, monkeypatch):
    clean = tmp_path_factory.mktemp("clean")
    legacy_raw(clean, frames)
    migrate_store(clean)
    removed, rmtree = [], shutil.rmtree

    def crash_after_two(path):
        if len(removed) == 2:
            raise KeyboardInterrupt("killed")
        removed.append(path)
        rmtree(path)

    monkeypatch.setattr(migrate.shutil, "rmtree", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        migrate_store(data)
    monkeypatch.undo()
    raw = DataPaths(data).raw
    periods, days = list(raw.rglob("period=*")), list(raw.rglob("date=*"))
    assert periods and days  # both layouts side by side, the same candles in each
    assert len(days) == 5 + 2 + 35 - 2

    migrate_store(data)

    assert files(data) == files(clean)  # byte for byte what an uninterrupted run leaves


def test_a_crash_while_writing_a_period_file_leaves_its_days_and_no_partial_file(data, frames, monkeypatch):
    writes = []

    def crash_on_second(table, where, *args, **kwargs):
        writes.append(where)
        if len(writes) == 2:
            Path(where).write_bytes(b"PAR1 half a file")
            raise OSError("disk full")
        return original(table, where, *args, **kwargs)

    original = pq.write_table
    monkeypatch.setattr(pq, "write_table", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        migrate_store(data)
    monkeypatch.undo()
    raw = DataPaths(data).raw
    assert not [p for p in raw.rglob(".*")]  # the half-written temporary was removed
    assert [p.parent.name for p in raw.rglob("period=*/candles.parquet")] == ["period=2024-01"]
    assert len(list(raw.rglob("date=*/candles.parquet"))) == 5 + 2 + 35 - 2  # the Feb days wait for the rerun

    migrate_store(data)

    for series, frame in frames.items():
        pd.testing.assert_frame_equal(stored(data, series), frame)
    assert not list(raw.rglob("date=*"))


def test_candles_published_to_the_period_file_before_the_migration_win(data, frames):
    raw = DataPaths(data).raw
    newer = frames[HOURLY].iloc[[-1]].assign(close=1.0)  # a re-landed last candle, published in the new layout
    write_atomic(newer, period_file(raw, HOURLY, "2024-02"))

    migrate_store(data)

    expected = frames[HOURLY].copy()
    expected.loc[expected.index[-1], "close"] = 1.0
    pd.testing.assert_frame_equal(stored(data, HOURLY), expected)


def test_a_drifted_day_file_stops_the_migration_naming_it_and_is_kept(data):
    folder = series_dir(DataPaths(data).raw, HOURLY) / "date=2024-02-01"
    bad = folder / store.CANDLE_FILE
    table = pq.read_table(bad)
    pq.write_table(table.drop_columns(["volume"]), bad)

    with pytest.raises(MigrationError, match=f"cannot migrate {bad}: its columns are not the candle schema; re-land"):
        migrate_store(data)

    assert bad.is_file() and pq.read_schema(bad).names == ["timestamp", "open", "high", "low", "close"]


def test_the_command_line_migrates_and_reports(data):
    run = subprocess.run([sys.executable, "-m", "include.landing.migrate", str(data)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True)
    assert run.stdout.strip() == "moved 42 day files of 3 series into 7 period files"
    assert not list(DataPaths(data).raw.rglob("date=*"))


def test_the_ingest_plan_migrates_before_reading_the_last_candle(data, frames, monkeypatch):
    from include.config.schema import ExchangeSpec, History, PeakTradeConfig, Universe
    from include.ingest import plan_incremental

    monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(data))
    config = PeakTradeConfig(universe=Universe(symbols=["BTC/USDT"], timeframes=["1h"],
                                               exchanges=[ExchangeSpec(id="sim_alpha", source="sim")]),
                             history=History(start={"1h": "30d"}))
    [job] = plan_incremental(config, datetime.fromtimestamp(NOW / 1000, tz=timezone.utc))

    assert not list(DataPaths(data).raw.rglob("date=*"))
    assert job["start_ms"] == int(frames[HOURLY]["timestamp"].iloc[-1].value // 1_000_000) + 3_600_000


def test_a_folder_that_is_not_a_series_is_named(tmp_path):
    (DataPaths(tmp_path).raw / "exchange=sim_alpha" / "symbol=BTC-USDT" / "timeframe=hourly" / "date=2024-01-01").mkdir(parents=True)
    with pytest.raises(MigrationError, match="cannot migrate .*timeframe=hourly: timeframe 'hourly' is not of the form"):
        migrate_store(tmp_path)

