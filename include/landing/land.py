"""Land one series: fetch a window of candles and write candidate partitions.

Candidates go to the run's landing area, one file per UTC day (the gate's unit),
each merged with the validated candles of that day in raw (read from their
period file), so that the gate validates the whole day as it will be published.
Nothing is written to `raw` here.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

from include.config.schema import PeakTradeConfig
from include.landing.store import candidate_file, last_timestamp, merge_candles, read_stored, split_by_day, write_atomic
from include.paths import DataPaths
from include.series import Series
from include.sources.base import ExchangeClient, check_listing
from include.sources.paging import fetch_candles
from include.timeframes import DAY_MS, ceil_ms, from_ms, timeframe_ms, to_ms

log = logging.getLogger(__name__)
CHUNK_DAYS = 30  # bounds memory: one chunk of candles is held at a time


@dataclass
class Landing:
    """What one land task did; small enough for XCom."""

    exchange: str
    symbol: str
    timeframe: str
    run_key: str
    window_start: str
    window_end: str
    rows: int = 0
    days: list[str] = field(default_factory=list)
    first: str | None = None
    last: str | None = None

    @property
    def series(self) -> Series:
        return Series(exchange=self.exchange, symbol=self.symbol, timeframe=self.timeframe)

    def to_dict(self) -> dict:
        return asdict(self)


def incremental_window(paths: DataPaths, series: Series, config: PeakTradeConfig, now: datetime) -> tuple[int, int]:
    """From just after the last landed candle (or the history start) up to now."""
    last = last_timestamp(paths.raw, series)
    if last is not None:
        start = int(last.value // 1_000_000) + timeframe_ms(series.timeframe)
    else:
        start = ceil_ms(to_ms(config.history.start_for(series.timeframe, now)), series.timeframe)
    return start, to_ms(now)


def land_series(
    client: ExchangeClient,
    series: Series,
    paths: DataPaths,
    run_key: str,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    *,
    page_limit: int = 1000,
    retry: dict | None = None,
) -> Landing:
    check_listing(client, series.symbol, series.timeframe)
    landing = Landing(
        series.exchange, series.symbol, series.timeframe, run_key,
        from_ms(start_ms).isoformat(), from_ms(min(end_ms, now_ms)).isoformat(),
    )
    area = paths.landing(run_key)
    stop = min(end_ms, now_ms)
    began, total, chunk_start = time.monotonic(), max(1, stop - start_ms), start_ms
    while chunk_start < stop:
        # Chunks end at midnight, so no day is split between two of them.
        chunk_end = min(chunk_start - chunk_start % DAY_MS + CHUNK_DAYS * DAY_MS, stop)
        frame = fetch_candles(
            client, series.symbol, series.timeframe, chunk_start, chunk_end, now_ms, limit=page_limit, retry=retry
        )
        days = split_by_day(frame)
        validated = read_stored(paths.raw, series, list(days))  # one read per period file, not per day
        for day, rows in days.items():
            stored = validated[validated["date"] == day].drop(columns="date")
            write_atomic(merge_candles(stored, rows), candidate_file(area, series, day))
            landing.days.append(day)
        if len(frame):
            landing.first = landing.first or frame["timestamp"].iloc[0].isoformat()
            landing.last = frame["timestamp"].iloc[-1].isoformat()
        landing.rows += len(frame)
        _log_progress(series, landing.rows, chunk_end - start_ms, total, began)
        chunk_start = chunk_end
    return landing


def _log_progress(series: Series, rows: int, done_ms: int, total_ms: int, began: float) -> None:
    share = min(1.0, done_ms / total_ms)
    elapsed = time.monotonic() - began
    eta = elapsed / share - elapsed if share > 0 else 0.0
    log.info("%s: %d candles landed, %.0f%% of the window, ETA %.0fs", series.label, rows, share * 100, eta)
