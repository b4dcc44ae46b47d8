"""Moving-average crossover: long while the fast average is above the slow one.

Long-only: 1 above, 0 below. Long-short: 1 above, -1 below. The averages are the
warehouse's sma_N / ema_N columns when present (N = 10, 20, 50), else computed
(TA-Lib's EMA seeding). Averages within TIE (relative) of each other keep the
previous state, so float noise on a flat market does not flip the position.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from include.features import indicators
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close, column_or, latch, sides

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


def signal(frame, params) -> np.ndarray:
    fast = moving_average(frame, params["kind"], params["fast"])
    slow = moving_average(frame, params["kind"], params["slow"])
    band = TIE * np.abs(slow)
    above, below = fast > slow + band, fast < slow - band
    ready = ~(np.isnan(fast) | np.isnan(slow))
    return sides(latch(above, below), latch(below, above), params["mode"], ready)


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
)
