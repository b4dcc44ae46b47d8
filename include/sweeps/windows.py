"""A sweep's windows relative to its run: look-backs, spans in bars or time, the last complete bar.

The reference time is the DAG run's data interval end, passed in by the operator: re-running a
night resolves the same windows, so nothing here reads the clock. `start: 365d` is the 365 days
before `end`; `end` defaults to the end of the last complete bar at the reference time (bars are
on the epoch grid of the timeframe, as include.timeframes.ceil_ms has them).
"""
from __future__ import annotations

import math
import re
from datetime import datetime

import pandas as pd

from include.timeframes import timeframe_ms, to_ms

_DURATION = re.compile(r"^(\d+)([hdw])$")
_UNIT = {"h": pd.Timedelta(hours=1), "d": pd.Timedelta(days=1), "w": pd.Timedelta(weeks=1)}
LOOKBACK_FORMS = "a date (2023-03-01, 2023-03-01T12:00Z) or a look-back before end like 365d, 12w, 48h"
SPAN_FORMS = "a whole number of bars (e.g. 24) or a duration like 12h, 90d, 2w"

Span = int | str  # bars, or a duration string; checked by span()


def duration(value: str) -> pd.Timedelta | None:
    """'90d' -> 90 days; None when value is not <n>h|d|w."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    return int(match.group(1)) * _UNIT[match.group(2)] if match else None


def span(value, *, minimum: int = 1) -> Span:
    """A span as the spec keeps it (bars as int, a duration as its string); ValueError naming the forms."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not {SPAN_FORMS}")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        if value < minimum:
            raise ValueError(f"{value!r} bars: give at least {minimum} ({SPAN_FORMS})")
        return int(value)
    length = duration(value) if isinstance(value, str) else None
    if length is None:
        raise ValueError(f"{value!r} is not {SPAN_FORMS}")
    if length <= pd.Timedelta(0) and minimum > 0:
        raise ValueError(f"{value!r}: give a duration longer than zero ({SPAN_FORMS})")
    return value.strip()


def span_time(value: Span, timeframe: str) -> pd.Timedelta:
    if isinstance(value, int):
        return pd.Timedelta(milliseconds=value * timeframe_ms(timeframe))
    return duration(value)


def span_bars(value: Span, timeframe: str) -> int:
    """Whole bars covering the span (a duration that is not a whole number of bars is rounded up)."""
    if isinstance(value, int):
        return value
    return math.ceil(duration(value) / pd.Timedelta(milliseconds=timeframe_ms(timeframe)))


def last_complete_bar_end(reference: datetime, timeframe: str) -> pd.Timestamp:
    """The end of the last bar complete at `reference`: [start, this) holds only closed bars."""
    step = timeframe_ms(timeframe)
    return pd.Timestamp(to_ms(reference) // step * step, unit="ms", tz="UTC")


def resolve_window(start, end, reference: datetime, timeframe: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Absolute [start, end): end as given or the last complete bar's end; a look-back start before end."""
    stop = pd.Timestamp(end) if end is not None else last_complete_bar_end(reference, timeframe)
    back = duration(start) if isinstance(start, str) else None
    begin = stop - back if back is not None else pd.Timestamp(start) if start is not None else None
    return begin, stop
