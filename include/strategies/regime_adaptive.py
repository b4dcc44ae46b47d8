"""Regime-adaptive wrapper: a trend strategy in calm markets, smaller (or another) in volatile ones.

Reads the warehouse's vol_regime label ('low' | 'normal' | 'high'); without the
column it computes the same label from closes through the warehouse's own feature
code (indicators.vol_regime; rv_20's annualisation uses the bar length read off the
frame's timestamps). In 'low' and 'normal' vol it follows `strategy` (times
low_vol_scale in 'low'); in 'high' vol it follows `high_vol_strategy` ('same' =
`strategy`) times high_vol_scale (0 = flat). Before the regime is known (its
519-bar warm-up) the target is NaN. Inner strategies run with their default
params and this wrapper's `mode`.
"""
from __future__ import annotations

import numpy as np

from include.features import indicators
from include.strategies.base import Param, Strategy
from include.strategies.signals import MODE, close
from include.timeframes import frame_timestamps, infer_timeframe

INNER = ("sma_crossover", "donchian_trend", "bollinger_breakout", "rsi_mean_reversion")
REGIME_WARMUP = 519  # bars before rv_20_pctile_500 (500 ranks of a 20-bar volatility) has a value


def regimes(frame) -> np.ndarray:
    if "vol_regime" in frame.columns:
        return frame["vol_regime"].to_numpy(dtype=object)
    if len(frame) <= REGIME_WARMUP:  # no label yet, and maybe too few bars to infer the timeframe
        return np.full(len(frame), None, dtype=object)
    return indicators.vol_regime(close(frame), infer_timeframe(frame_timestamps(frame)))


def inner_signal(frame, name: str, mode: str) -> np.ndarray:
    from include.strategies.registry import get_strategy  # the registry imports this module

    inner = get_strategy(name)
    return inner.signals(frame, inner.defaults() | {"mode": mode}, validated=True)


def signal(frame, params) -> np.ndarray:
    regime = regimes(frame)
    calm = inner_signal(frame, params["strategy"], params["mode"])
    high_name = params["high_vol_strategy"]
    wild = calm if high_name == "same" else inner_signal(frame, high_name, params["mode"])
    out = np.full(len(frame), np.nan)
    out[regime == "normal"] = calm[regime == "normal"]
    out[regime == "low"] = calm[regime == "low"] * params["low_vol_scale"]
    out[regime == "high"] = wild[regime == "high"] * params["high_vol_scale"]
    return out


STRATEGY = Strategy(
    name="regime_adaptive",
    params=(
        Param("strategy", "categorical", "sma_crossover", choices=INNER),
        Param("high_vol_strategy", "categorical", "same", choices=("same", *INNER)),
        Param("high_vol_scale", "float", 0.5, low=0.0, high=1.0, step=0.25),
        Param("low_vol_scale", "float", 1.0, low=0.0, high=1.0, step=0.25),
        MODE,
    ),
    signal=signal,
    description="switch strategy or scale the position by the warehouse's vol_regime",
)
