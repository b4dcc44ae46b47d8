"""Donchian trend: enter on an N-bar breakout, exit on an M-bar breakout the other way.

Long from close > highest high of the previous `entry` bars until close < lowest
low of the previous `exit` bars. Long-short adds the mirror (short from close <
lowest low of the previous `entry` bars until close > highest high of the previous
`exit` bars). The channels exclude the current bar. exit <= entry, so an entry
one way always ends a position the other way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from include.features.indicators import as_float
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close, latch, sides


def channel(values: np.ndarray, window: int, highest: bool) -> np.ndarray:
    """Max (or min) of the `window` bars before each bar."""
    rolling = pd.Series(values).rolling(window)
    extreme = rolling.max() if highest else rolling.min()
    return extreme.shift(1).to_numpy()


def signal(frame, params) -> np.ndarray:
    high, low, price = as_float(frame["high"]), as_float(frame["low"]), close(frame)
    entry, leave = params["entry"], params["exit"]
    long_state = latch(price > channel(high, entry, True), price < channel(low, leave, False))
    short_state = latch(price < channel(low, entry, False), price > channel(high, leave, True))
    return sides(long_state, short_state, params["mode"], np.arange(len(price)) >= entry)


def _exit_within_entry(params) -> str | None:
    if params["exit"] > params["entry"]:
        return f"param 'exit' ({params['exit']}) must not exceed 'entry' ({params['entry']})"
    return None


STRATEGY = Strategy(
    name="donchian_trend",
    params=(
        Param("entry", "int", 20, low=2, high=500, step=1),
        Param("exit", "int", 10, low=1, high=500, step=1),
        MODE,
    ),
    signal=signal,
    description="N-bar channel breakout entries, M-bar opposite breakout exits",
    rule=_exit_within_entry,
)
