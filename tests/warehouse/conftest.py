"""A warehouse built from the real candles in ../shared/data/real/.

The three Binance.US files land as three venues quoting one unified symbol
(BTC/USD) so cross-venue models see the March 2023 USDC de-peg; the Kraken file
lands as BTC/USDC on `kraken` with its real gaps. Candles are written as
validated partitions straight into raw/ (the gate has its own tests).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from include.config.schema import FileSpec
from include.landing.store import store_candles
from include.series import Series
from include.sources.file_source import parse_file
from include.warehouse.dbt_runner import warehouse_file
from tests.conftest import SHARED_REAL

BINANCE_US = {
    "bus_usdt": "binanceus_BTCUSDT_1m_2023-03-01_2023-03-21.csv.gz",
    "bus_usdc": "binanceus_BTCUSDC_1m_2023-03-01_2023-03-21.csv.gz",
    "bus_usd": "binanceus_BTCUSD_1m_2023-03-01_2023-03-21.csv.gz",
}
ISO_COLUMNS = {c: c for c in ("open", "high", "low", "close", "volume")} | {"timestamp": "open_time"}


def real_candles() -> dict[Series, pd.DataFrame]:
    """Every real series as a candle frame (timestamp, open, high, low, close, volume)."""
    if not SHARED_REAL.is_dir():
        pytest.skip(f"real market data not found at {SHARED_REAL}")
    specs = {
        Series(exchange=venue, symbol="BTC/USD", timeframe="1m"): FileSpec(
            path=str(SHARED_REAL / name), format="csv", columns=ISO_COLUMNS, timestamp_unit="iso"
        )
        for venue, name in BINANCE_US.items()
    }
    specs[Series(exchange="kraken", symbol="BTC/USDC", timeframe="1m")] = FileSpec(
        path=str(SHARED_REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz"), format="kraken_ohlcvt"
    )
    frames = {}
    for series, spec in specs.items():
        rows = parse_file(spec)
        frame = pd.DataFrame(rows, columns=["timestamp", "open", "high", "low", "close", "volume"])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms", utc=True).astype("datetime64[ms, UTC]")
        frames[series] = frame
    return frames


def write_raw(data_dir: Path, frames: dict[Series, pd.DataFrame]) -> None:
    """Candles as validated period partitions, merged with what raw holds (as publishing does)."""
    for series, frame in frames.items():
        store_candles(data_dir / "raw", series, frame)


def window(frames: dict[Series, pd.DataFrame], start, until) -> dict[Series, pd.DataFrame]:
    """The candles in [start, until) of each series."""
    start, until = (pd.Timestamp(t) if pd.Timestamp(t).tzinfo else pd.Timestamp(t, tz="UTC") for t in (start, until))
    return {s: f[(f["timestamp"] >= start) & (f["timestamp"] < until)].reset_index(drop=True) for s, f in frames.items()}


def land(data_dir: Path, frames: dict[Series, pd.DataFrame], start, until, hours_ago: float = 0) -> None:
    """Write the candles in [start, until) to raw/, the files dated `hours_ago` (an earlier ingest)."""
    began = time.time() - 1
    write_raw(data_dir, window(frames, start, until))
    for path in (data_dir / "raw").rglob("*.parquet"):
        stat = path.stat()
        if stat.st_mtime >= began:
            os.utime(path, (stat.st_atime, stat.st_mtime - 3600 * hours_ago))


def land_history_then_a_partial_day(data_dir: Path, frames, start, day, partial_until) -> None:
    """History up to `day` landed two hours ago, then `day` until `partial_until` an hour ago.

    The incremental models take again the files of the second their watermark falls in (macro
    landed_since): in real runs an hourly ingest's files; written in one go here, every file."""
    land(data_dir, frames, start, day, hours_ago=2)
    land(data_dir, frames, day, partial_until, hours_ago=1)


def assert_same_raw(data_dir: Path, other: Path) -> None:
    """Both data dirs hold the same period files in raw/ with the same candles (a warehouse built from
    one stands for a warehouse built from the other)."""
    def files(root: Path) -> dict[str, pd.DataFrame]:
        return {str(p.relative_to(root)): pd.read_parquet(p) for p in sorted((root / "raw").rglob("*.parquet"))}

    mine, theirs = files(data_dir), files(other)
    assert list(mine) == list(theirs)
    for path, frame in mine.items():
        pd.testing.assert_frame_equal(frame, theirs[path], check_exact=True, obj=path)


# real_frames and real_warehouse are session fixtures in tests/conftest.py (the reports use them too).


def query(data_dir: Path, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(warehouse_file(data_dir)), read_only=True) as con:
        return con.execute(sql).df()
