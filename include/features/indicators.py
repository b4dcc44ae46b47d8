"""Causal indicators strategies and the engine compute when the warehouse has no column for them.

Every value at bar t uses bars 0..t only; warm-up values are NaN. Nothing here
redefines a warehouse feature: the generic-period SMA, EMA, RSI and ATR step
through ta_kernels.py's recursions (TA-Lib's arithmetic, bit for bit), the
rolling std is window_kernels.py's, and vol_regime is read off
series_features.py's rv_20_pctile_500. So a strategy gives the same signal
whether it reads the warehouse column or computes it here.

Numba's on-disk cache does not notice edits to the imported ta_kernels steps: after
changing them, delete include/features/__pycache__/indicators.*.nb* (tests run fresh).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from include.features import ta_kernels, window_kernels
from include.features.series_features import series_features

# fct_features.sql labels vol_regime from rv_20_pctile_500 with these bounds.
LOW_VOL_BELOW = 0.33
HIGH_VOL_ABOVE = 0.67


def as_float(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


@njit(cache=True)
def _sma(close, window):
    out = np.full(close.shape[0], np.nan)
    total = 0.0
    for i in range(close.shape[0]):
        total = ta_kernels.running_total(total, close[i], close[i - window] if i >= window else 0.0, i, window, 0)
        if i >= window - 1:
            out[i] = total / window
    return out


def sma(close: np.ndarray, window: int) -> np.ndarray:
    """TA-Lib SMA (running window total / window), as the warehouse's sma_N; first value at bar window-1."""
    return _sma(as_float(close), int(window))


@njit(cache=True)
def _ema_series(close, window):
    out = np.full(close.shape[0], np.nan)
    prev = 0.0
    for i in range(close.shape[0]):
        prev = ta_kernels.ema(prev, close[i], i, window, 0)
        if i >= window - 1:
            out[i] = prev
    return out


def ema(close: np.ndarray, window: int) -> np.ndarray:
    """TA-Lib EMA: seeded with the SMA of the first `window` values, first value at bar window-1."""
    return _ema_series(as_float(close), int(window))


@njit(cache=True)
def _rsi(close, window):
    out = np.full(close.shape[0], np.nan)
    gain = 0.0
    loss = 0.0
    for i in range(1, close.shape[0]):
        gain = ta_kernels.wilder_rsi(gain, max(close[i] - close[i - 1], 0.0), i, window)
        loss = ta_kernels.wilder_rsi(loss, max(close[i - 1] - close[i], 0.0), i, window)
        if i >= window:
            moved = loss + gain
            out[i] = gain / moved * 100.0 if moved > 0 else 0.0
    return out


def rsi(close: np.ndarray, window: int) -> np.ndarray:
    """Wilder RSI as TA-Lib computes it (0 when nothing moved); first value at bar `window`."""
    return _rsi(as_float(close), int(window))


@njit(cache=True)
def _atr(high, low, close, window):
    out = np.full(close.shape[0], np.nan)
    prev = 0.0
    for i in range(1, close.shape[0]):
        true_range = max(high[i] - low[i], abs(close[i - 1] - high[i]), abs(close[i - 1] - low[i]))
        prev = ta_kernels.wilder_atr(prev, true_range, i, window)
        if i >= window:
            out[i] = prev
    return out


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int) -> np.ndarray:
    """Wilder average true range as TA-Lib computes it; first value at bar `window`."""
    return _atr(as_float(high), as_float(low), as_float(close), int(window))


def rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    """Rolling sample std (ddof=1), exactly 0 on a flat window; NaN until `window` values are in
    and wherever the window holds a NaN (the volatility of returns, whose bar 0 is NaN, relies on it)."""
    return window_kernels.rolling_std(as_float(values), int(window), 1, 0)


def simple_returns(close: np.ndarray) -> np.ndarray:
    """close_t / close_(t-1) - 1, NaN at bar 0."""
    out = np.empty(close.shape[0])
    out[0] = np.nan
    out[1:] = close[1:] / close[:-1] - 1.0
    return out


def vol_regime(close: np.ndarray, timeframe: str) -> np.ndarray:
    """The warehouse's vol_regime label from closes: 'low' | 'normal' | 'high', None in warm-up (519 bars).

    The label of fct_features: rv_20_pctile_500 (percent rank of the annualised
    20-bar realised volatility among the last 500 values) < 0.33 low, > 0.67 high.
    Only closes enter rv_20, so the other inputs of series_features are stand-ins.
    """
    close = as_float(close)
    features, _ = series_features(close, close, close, np.ones_like(close), timeframe)
    pct = features["rv_20_pctile_500"]
    labels = np.where(pct < LOW_VOL_BELOW, "low", np.where(pct > HIGH_VOL_ABOVE, "high", "normal")).astype(object)
    labels[np.isnan(pct)] = None
    return labels
