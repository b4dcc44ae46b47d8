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
from numba import njit

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


@njit(cache=True, inline="always")
def crossover_step(f, s, state, long_short):
    """(the signal at a bar with averages f and s, the latch after it). state: 1 long, -1 short, 0 neither yet;
    above = f > s + band sets long, below = f < s - band short (band = TIE * |s|); the signal is the state
    (long only: 1 long, else 0), NaN until both averages are known. The batch kernel computes it per bar
    (kernel.signal_at), crossover() into an array."""
    band = TIE * abs(s)
    if f > s + band:
        state = 1.0
    elif f < s - band:
        state = -1.0
    if math.isnan(f) or math.isnan(s):
        return math.nan, state
    return (state if long_short else max(state, 0.0)), state


@njit(cache=True)
def crossover(fast, slow, long_short, out):
    """The signal in one pass (crossover_step per bar): long latched from above until below, short from below
    until above (signals.latch), long - short (long only: long), NaN until both averages are known
    (signals.sides). out: the signal, len(fast)."""
    state = 0.0
    for t in range(fast.shape[0]):
        out[t], state = crossover_step(fast[t], slow[t], state, long_short)
    return out


def signal(frame, params) -> np.ndarray:
    fast = moving_average(frame, params["kind"], params["fast"])
    slow = moving_average(frame, params["kind"], params["slow"])
    return crossover(fast, slow, params["mode"] == "long_short", np.empty(fast.shape[0]))


def kernel_signal(params) -> tuple[tuple[str, str], bool]:
    """The batch kernel's in-kernel signal (kernel.signal_at): the crossover of these columns (fast, slow; names
    of columns()), long-short or not."""
    return tuple(average_column(params["kind"], params[w])[0] for w in ("fast", "slow")), params["mode"] == "long_short"


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
    kernel_signal=kernel_signal,
)
