"""RSI mean reversion: buy when RSI falls below `lower`, get out above `upper`.

Long-only: long from RSI < lower until RSI > upper, then flat. Long-short: long
from RSI < lower, short from RSI > upper (always in the market after the first
extreme). RSI is the warehouse's rsi_14 when window == 14 and the column is
present, else Wilder's RSI computed like TA-Lib.
"""
from __future__ import annotations

import numpy as np

from include.features import indicators
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close, column_or, latch, sides


def columns(params) -> dict:
    window = params["window"]
    return {f"rsi_{window}": lambda frame: indicators.rsi(close(frame), window)}


def signal(frame, params) -> np.ndarray:
    (name, compute), = columns(params).items()
    rsi = column_or(frame, name, lambda: compute(frame))
    oversold, overbought = rsi < params["lower"], rsi > params["upper"]
    return sides(latch(oversold, overbought), latch(overbought, oversold), params["mode"], ~np.isnan(rsi))


def _lower_below_upper(params) -> str | None:
    if params["lower"] >= params["upper"]:
        return f"param 'lower' ({params['lower']}) must be smaller than 'upper' ({params['upper']})"
    return None


STRATEGY = Strategy(
    name="rsi_mean_reversion",
    params=(
        Param("window", "int", 14, low=2, high=100, step=1),
        Param("lower", "float", 30.0, low=1.0, high=50.0, step=1.0),
        Param("upper", "float", 70.0, low=50.0, high=99.0, step=1.0),
        MODE,
    ),
    signal=signal,
    description="long below the lower RSI band, out (or short) above the upper one",
    rule=_lower_below_upper,
    columns=columns,
)
