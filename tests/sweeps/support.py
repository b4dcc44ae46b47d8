"""Synthetic series with a known best SMA crossover, and sweep specs over them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from include.sweeps import parse_spec

SERIES = ("synth", "ZIG/USD")


def zigzag(n: int = 4_000, leg: int = 400, slope: float = 0.1, wiggle: float = 2.0,
           shift: int = 0, period: int = 10) -> pd.DataFrame:
    """1m bars: a clean zigzag trend (legs of `leg` bars, `slope` per bar) plus a square wave of +/- wiggle
    with a `period`-bar period (even; default 10). A 10- or 20-bar SMA cancels a 10-bar wave exactly (whole
    periods); a 5-bar SMA swings with it and whipsaws. Of the clean pairs the shortest windows lag the turns
    least (a 20-bar wave: only 20, 40 and 80 are clean, so 20/40 wins)."""
    t = np.arange(n) + shift
    phase = t % (2 * leg)
    trend = np.where(phase < leg, phase, 2 * leg - phase) * slope
    close = 100 + trend + np.where((t // (period // 2)) % 2 == 0, wiggle, -wiggle)
    return pd.DataFrame({
        "ts": pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC"),
        "open": close, "high": close, "low": close, "close": close, "volume": 1.0,
    })


def frames(n_series: int = 1) -> dict:
    """One zigzag per series, each shifted in phase so they differ."""
    return {("synth", f"ZIG{k}/USD"): zigzag(shift=37 * k) for k in range(n_series)}


def spec(n_series: int = 1, **fields):
    """A grid over fast {5, 10, 20} x slow {20, 40, 80} on the synthetic series, overridable."""
    raw = {
        "name": "zig",
        "strategy": "sma_crossover",
        "universe": [{"exchange": e, "symbol": s} for e, s in frames(n_series)],
        "timeframe": "1m",
        "params": {"fast": [5, 10, 20], "slow": [20, 40, 80], "kind": "sma", "mode": "long_only"},
        "method": "grid",
        "chunk_size": 3,
    }
    return parse_spec(raw | fields)
