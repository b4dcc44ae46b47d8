"""Bollinger breakout: long when the close breaks above the upper band, out below the middle.

Bands: middle = SMA(window), upper/lower = middle +/- k * population std of the
last `window` closes (TA-Lib's BBANDS). Long from close > upper until close <
middle. Long-short adds the mirror: short from close < lower until close > middle.
The warehouse's bb_upper / bb_middle / bb_lower are used for window 20, k 2.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from include.features.indicators import as_float
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close, latch, sides

WAREHOUSE_BANDS = ("bb_upper", "bb_middle", "bb_lower")


def bands(frame, window: int, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if window == 20 and k == 2.0 and all(c in frame.columns for c in WAREHOUSE_BANDS):
        return tuple(as_float(frame[c]) for c in WAREHOUSE_BANDS)
    rolling = pd.Series(close(frame)).rolling(window)
    middle = rolling.mean().to_numpy()
    width = k * rolling.std(ddof=0).to_numpy()
    return middle + width, middle, middle - width


def signal(frame, params) -> np.ndarray:
    upper, middle, lower = bands(frame, params["window"], params["k"])
    price = close(frame)
    long_state = latch(price > upper, price < middle)
    short_state = latch(price < lower, price > middle)
    return sides(long_state, short_state, params["mode"], ~np.isnan(middle))


STRATEGY = Strategy(
    name="bollinger_breakout",
    params=(
        Param("window", "int", 20, low=5, high=200, step=1),
        Param("k", "float", 2.0, low=0.5, high=4.0, step=0.25),
        MODE,
    ),
    signal=signal,
    description="long on a close above the upper Bollinger band until a close below the middle",
)
