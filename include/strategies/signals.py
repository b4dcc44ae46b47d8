"""Building blocks for signal functions: warehouse columns, latched states, long-only vs long-short."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from include.features.indicators import as_float
from include.strategies.base import Param

MODE = Param("mode", "categorical", "long_only", choices=("long_only", "long_short"))


def column_or(frame: pd.DataFrame, column: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """The warehouse feature `column` when the frame has it, else compute it (causally) from OHLCV."""
    if column in frame.columns:
        return as_float(frame[column])
    return compute()


def close(frame: pd.DataFrame) -> np.ndarray:
    return as_float(frame["close"])


def hold_last(events: np.ndarray) -> np.ndarray:
    """Carry the last non-NaN value forward; 0 before the first one."""
    index = np.where(np.isnan(events), 0, np.arange(events.shape[0]))
    np.maximum.accumulate(index, out=index)
    held = events[index]
    return np.where(np.isnan(held), 0.0, held)


def latch(turn_on: np.ndarray, turn_off: np.ndarray) -> np.ndarray:
    """1 from a bar where turn_on holds until a bar where turn_off holds (turn_on wins a tie), else 0."""
    return hold_last(np.where(turn_on, 1.0, np.where(turn_off, 0.0, np.nan)))


def sides(long_state: np.ndarray, short_state: np.ndarray, mode: str, ready: np.ndarray) -> np.ndarray:
    """long - short (short ignored when long-only); NaN where the indicators are not ready."""
    position = long_state - short_state if mode == "long_short" else long_state
    return np.where(ready, position, np.nan)
