"""Moving-average crossover: long while the fast average is above the slow one.

Long-only: 1 above, 0 below. Long-short: 1 above, -1 below. The averages are the
warehouse's sma_N / ema_N columns when present (N = 10, 20, 50), else computed
(TA-Lib's EMA seeding). Averages within TIE (relative) of each other keep the
previous state, so float noise on a flat market does not flip the position.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from numba import njit, prange
from numba.typed import List

from include.features import indicators
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close, column_or

TIE = 1e-10


def average_column(kind: str, window: int) -> tuple[str, Callable[[pd.DataFrame], np.ndarray]]:
    """The average's column name and how to compute it from a frame."""
    compute = indicators.sma if kind == "sma" else indicators.ema
    return f"{kind}_{window}", lambda frame: compute(close(frame), window)


def moving_average(frame, kind: str, window: int) -> np.ndarray:
    name, compute = average_column(kind, window)
    return column_or(frame, name, lambda: compute(frame))


def columns(params) -> dict:
    return dict(average_column(params["kind"], params[w]) for w in ("fast", "slow"))


@njit(cache=True)
def crossover(fast, slow, long_short, out):
    """The signal in one pass: above = fast > slow + band, below = fast < slow - band (band = TIE * |slow|),
    long latched from above until below, short from below until above (signals.latch), long - short
    (long only: long), NaN until both averages are known (signals.sides). out: the signal, len(fast)."""
    long_state = 0.0
    short_state = 0.0
    for t in range(fast.shape[0]):
        f, s = fast[t], slow[t]
        band = TIE * abs(s)
        if f > s + band:
            long_state, short_state = 1.0, 0.0
        elif f < s - band:
            long_state, short_state = 0.0, 1.0
        if math.isnan(f) or math.isnan(s):
            out[t] = math.nan
        else:
            out[t] = long_state - short_state if long_short else long_state
    return out


def signal(frame, params) -> np.ndarray:
    fast = moving_average(frame, params["kind"], params["fast"])
    slow = moving_average(frame, params["kind"], params["slow"])
    return crossover(fast, slow, params["mode"] == "long_short", np.empty(fast.shape[0]))


@njit(cache=True, parallel=True)
def _crossover_rows(averages, rows, long_short, out):
    for i in prange(out.shape[0]):
        crossover(averages[rows[i, 0]], averages[rows[i, 1]], long_short[i], out[i])


def block_signals(frame, params_list, out) -> None:
    """crossover for every params at once, in parallel, each distinct average read once."""
    averages, index = List(), {}
    rows = np.empty((len(params_list), 2), dtype=np.int64)
    for i, params in enumerate(params_list):
        for k, window in enumerate((params["fast"], params["slow"])):
            key = (params["kind"], window)
            if key not in index:
                index[key] = len(averages)
                averages.append(moving_average(frame, *key))
            rows[i, k] = index[key]
    long_short = np.array([p["mode"] == "long_short" for p in params_list])
    _crossover_rows(averages, rows, long_short, out)


def _fast_below_slow(params) -> str | None:
    if params["fast"] >= params["slow"]:
        return f"param 'fast' ({params['fast']}) must be smaller than 'slow' ({params['slow']})"
    return None


STRATEGY = Strategy(
    name="sma_crossover",
    params=(
        Param("fast", "int", 10, low=2, high=200, step=1),
        Param("slow", "int", 50, low=3, high=500, step=1),
        Param("kind", "categorical", "sma", choices=("sma", "ema")),
        MODE,
    ),
    signal=signal,
    description="long (or short) on the side of the slow average the fast one is on",
    rule=_fast_below_slow,
    columns=columns,
    block_signals=block_signals,
)
