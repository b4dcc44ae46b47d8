"""Rolling-window statistics for one series in Numba: one pass per statistic.

Each window is recomputed from its own values in two passes (mean, then squared
deviations), the numerically stable form: running sums of x and x^2 cancel
catastrophically on prices (a 20-bar std of 0.004 at BTC 23,000 came out 4% off).
The cost is O(n * window), a few milliseconds per window length on a year of 1m bars.
Every statistic at position i reads positions i - window + 1 .. i only, so a
continuation given enough look-back bars reproduces a full run exactly.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def rolling_std(values, window, ddof, first):
    """Std of values[i - window + 1 .. i] for i >= first (NaN before); 0 on a constant window."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    for i in range(max(first, window - 1), n):
        lo = i - window + 1
        mean = 0.0
        for j in range(lo, i + 1):
            mean += values[j]
        mean /= window
        squares = 0.0
        constant = True
        for j in range(lo, i + 1):
            d = values[j] - mean
            squares += d * d
            constant = constant and values[j] == values[lo]
        out[i] = 0.0 if constant else math.sqrt(squares / (window - ddof))
    return out


@njit(cache=True)
def rolling_mean(values, window, first):
    n = values.shape[0]
    out = np.full(n, np.nan)
    for i in range(max(first, window - 1), n):
        total = 0.0
        for j in range(i - window + 1, i + 1):
            total += values[j]
        out[i] = total / window
    return out


@njit(cache=True)
def rolling_percent_rank(values, window, first):
    """SQL percent_rank over the last `window` values (this one included): share strictly below, 0..1."""
    n = values.shape[0]
    out = np.full(n, np.nan)
    for i in range(max(first, window - 1), n):
        below = 0
        for j in range(i - window + 1, i + 1):
            if values[j] < values[i]:
                below += 1
        out[i] = below / (window - 1)
    return out
