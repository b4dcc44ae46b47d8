"""Timeframe strings ('1m', '1h', '1d') and the millisecond grid they define."""
from __future__ import annotations

import re
from datetime import datetime, timezone

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
