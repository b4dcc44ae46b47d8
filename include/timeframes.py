"""Timeframe strings ('1m', '1h', '1d'), the millisecond grid they define, and bar timestamps of a frame."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from include.errors import PeakTradeError

if TYPE_CHECKING:  # pandas is imported where a frame is read: the config schema loads this module at DAG parse
    import pandas as pd

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PATTERN = re.compile(r"^(\d+)([smhdw])$")
DAY_MS = 86_400_000
YEAR_DAYS = 365  # crypto trades every day: a 365-day calendar (docs/definitions.md)


def timeframe_ms(timeframe: str) -> int:
    """Length of one candle in milliseconds; raises ValueError on a bad string."""
    match = _PATTERN.match(timeframe or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"timeframe {timeframe!r} is not of the form <n><s|m|h|d|w>, e.g. 1m, 1h, 1d")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def periods_per_year(timeframe: str) -> int | float:
    """Bars per 365-day year for a timeframe string ('1m' -> 525600, '1d' -> 365): the one definition."""
    periods = YEAR_DAYS * DAY_MS / timeframe_ms(timeframe)
    return int(periods) if periods.is_integer() else periods


def ceil_ms(ts_ms: int, timeframe: str) -> int:
    """First candle open time at or after ts_ms."""
    step = timeframe_ms(timeframe)
    return -(-ts_ms // step) * step


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def from_ms(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc)


def utc_now_ms() -> int:
    return to_ms(datetime.now(timezone.utc))


class TimestampError(PeakTradeError):
    """A frame's bar timestamps are missing, out of order, or not on a whole-second grid."""


def timestamp_column(frame: pd.DataFrame) -> str | None:
    """The column holding bar open times: `ts`, or `timestamp` as landed; None if neither."""
    return "ts" if "ts" in frame.columns else "timestamp" if "timestamp" in frame.columns else None


def frame_timestamps(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The bar open times (`ts`, or `timestamp` as landed) as a UTC DatetimeIndex."""
    import pandas as pd

    column = timestamp_column(frame)
    if column is None:
        raise TimestampError(f"frame has no 'ts' column (columns: {', '.join(map(str, frame.columns))})")
    ts = pd.DatetimeIndex(frame[column])
    if ts.tz is None:
        ts = ts.tz_localize("UTC")
    return ts.as_unit("ns")


def infer_timeframe(ts: pd.DatetimeIndex) -> str:
    """The bar length as a timeframe string, from the shortest step between bars (gaps are longer)."""
    if len(ts) < 2:
        raise TimestampError(
            "cannot infer the timeframe from fewer than 2 bars; pass timeframe='1m' (or the right one)")
    ns = ts.asi8
    step_ms = int((ns[1:] - ns[:-1]).min() // 1_000_000)
    if step_ms <= 0:
        raise TimestampError("ts is not strictly increasing: sort the frame by ts and drop duplicate bars")
    for unit, ms in (("d", DAY_MS), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if step_ms % ms == 0:
            return f"{step_ms // ms}{unit}"
    raise TimestampError(f"bar step of {step_ms} ms is not a whole number of seconds")
