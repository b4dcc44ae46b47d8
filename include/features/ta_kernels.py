"""TA-Lib 0.8's recursive indicators for one series, in one Numba pass over its bars.

EMA and Wilder smoothing are recursions, which SQL can only express as a recursive
CTE stepping one bar per iteration (slow on long series). The warehouse calls this
kernel through a DuckDB UDF (include/warehouse/duckdb_plugin.py) instead.

The arithmetic replays TA-Lib's operation for operation (sums accumulate from 0.0
in bar order, then divide; the same multiplications and additions in the same
order), so every output equals TA-Lib's bit for bit. TA-Lib evaluates its EMA
and ATR steps with C99 fma(): those two steps alone are compiled with
`fastmath={"contract"}` so LLVM fuses the same multiply and add; the RSI step
must not be fused (TA-Lib's is a plain multiply and add).

The recursion state after a bar is a vector of STATE_FIELDS. An incremental
warehouse run passes the state stored with a series' last bar and the bars since,
plus a look-back of earlier bars for the lags (SMA totals drop the close `period`
bars back, %K needs 14 bars of highs and lows), and continues exactly where the
previous run stopped.
"""
from __future__ import annotations

import numpy as np
from numba import njit

STATE_FIELDS = (
    "sma_10_total", "sma_20_total", "sma_50_total", "ema_10", "ema_20", "ema_50",
    "macd_fast", "macd_slow", "macd_signal", "avg_gain", "avg_loss", "atr_14",
    "stoch_k_total", "slow_k", "slow_k_1", "slow_k_2", "stoch_d_total",
)
OUTPUT_FIELDS = (
    "sma_10", "sma_20", "sma_50", "ema_10", "ema_20", "ema_50", "rsi_14",
    "macd", "macd_signal", "macd_hist", "atr_14", "stoch_k", "stoch_d", "sma_50_slope",
)
# Bars a continuation needs before its first new bar: the longest lag (SMA 50)
# plus one; %K's 14-bar range plus its 3-bar smoothing need fewer.
MIN_LOOKBACK = 51

(SMA10, SMA20, SMA50, EMA10, EMA20, EMA50, MACD_FAST, MACD_SLOW, MACD_SIGNAL,
 AVG_GAIN, AVG_LOSS, ATR, STOCH_K_TOTAL, SLOW_K, SLOW_K_1, SLOW_K_2, STOCH_D_TOTAL) = range(17)
(O_SMA10, O_SMA20, O_SMA50, O_EMA10, O_EMA20, O_EMA50, O_RSI, O_MACD, O_MACD_SIGNAL,
 O_MACD_HIST, O_ATR, O_STOCH_K, O_STOCH_D, O_SMA50_SLOPE) = range(14)

# One-bar steps of the recursions. Public: include/features/indicators.py steps them
# for any period, so a strategy's EMA/RSI/ATR/SMA equals the warehouse column bit for bit.


@njit(cache=True, fastmath={"contract"})
def ema(prev, value, bar, period, first_bar):
    """TA-Lib EMA fed from `first_bar`: sum the first `period` inputs, seed with their mean, then step."""
    if bar < first_bar:
        return 0.0
    if bar < first_bar + period - 1:
        return prev + value
    if bar == first_bar + period - 1:
        return (prev + value) / period
    return (value - prev) * (2.0 / (period + 1)) + prev


@njit(cache=True)
def running_total(prev, value, value_lag, bar, period, first_bar):
    """TA-Lib SMA's window total: add inputs until the window is full, then drop the oldest."""
    if bar < first_bar:
        return 0.0
    if bar < first_bar + period:
        return prev + value
    return (prev - value_lag) + value


@njit(cache=True)  # TA-Lib's RSI step is a plain multiply and add, no fma
def wilder_rsi(prev, move, bar, period):
    if bar == 0:
        return 0.0
    if bar < period:
        return prev + move
    if bar == period:
        return (prev + move) * (1.0 / period)
    return (prev * (period - 1.0) + move) * (1.0 / period)


@njit(cache=True, fastmath={"contract"})
def wilder_atr(prev, true_range, bar, period):
    if bar == 0:
        return 0.0
    if bar < period:
        return prev + true_range
    if bar == period:
        return (prev + true_range) / period
    k1 = (period - 1.0) / period
    return prev * k1 + true_range * (1.0 - k1)


@njit(cache=True)
def _fast_k(close, high, low, first_bar, i):
    """TA-Lib STOCH's raw %K at position i (absolute bar first_bar + i >= 13), 0 on a flat range."""
    lo = max(0, i - 13)
    highest = high[lo]
    lowest = low[lo]
    for j in range(lo + 1, i + 1):
        highest = max(highest, high[j])
        lowest = min(lowest, low[j])
    if highest - lowest != 0.0:
        return (close[i] - lowest) / (highest - lowest) * 100.0
    return 0.0


@njit(cache=True)
def ta_series(close, high, low, first_bar, start, state):
    """Indicators for positions start.. of one series; returns (outputs[n, 14], state after the last bar).

    Position i is absolute bar `first_bar + i`; positions before `start` are the
    look-back (already computed; only read for lags), and `state` is the state
    after position start - 1 (all zeros when start == 0 and first_bar == 0).
    Values before an indicator's warm-up, and all look-back rows, are NaN.
    """
    n = close.shape[0]
    out = np.full((n, 14), np.nan)
    s = state.copy()
    fast_k = np.zeros(n)
    for i in range(max(0, start - 3), n):
        if first_bar + i >= 13:
            fast_k[i] = _fast_k(close, high, low, first_bar, i)
    for i in range(start, n):
        bar = first_bar + i
        prev_close = close[i - 1] if i > 0 else np.nan
        c = close[i]
        prev_sma_50 = s[SMA50] / 50.0
        s[SMA10] = running_total(s[SMA10], c, close[i - 10] if i >= 10 else 0.0, bar, 10, 0)
        s[SMA20] = running_total(s[SMA20], c, close[i - 20] if i >= 20 else 0.0, bar, 20, 0)
        s[SMA50] = running_total(s[SMA50], c, close[i - 50] if i >= 50 else 0.0, bar, 50, 0)
        s[EMA10] = ema(s[EMA10], c, bar, 10, 0)
        s[EMA20] = ema(s[EMA20], c, bar, 20, 0)
        s[EMA50] = ema(s[EMA50], c, bar, 50, 0)
        # MACD seeds both EMAs with means ending on bar 25: the slow one over 0-25, the fast one over 14-25.
        s[MACD_FAST] = ema(s[MACD_FAST], c, bar, 12, 14)
        s[MACD_SLOW] = ema(s[MACD_SLOW], c, bar, 26, 0)
        s[MACD_SIGNAL] = ema(s[MACD_SIGNAL], s[MACD_FAST] - s[MACD_SLOW], bar, 9, 25)
        if bar > 0:
            s[AVG_GAIN] = wilder_rsi(s[AVG_GAIN], max(c - prev_close, 0.0), bar, 14)
            s[AVG_LOSS] = wilder_rsi(s[AVG_LOSS], max(prev_close - c, 0.0), bar, 14)
            true_range = max(high[i] - low[i], abs(prev_close - high[i]), abs(prev_close - low[i]))
            s[ATR] = wilder_atr(s[ATR], true_range, bar, 14)
        # STOCH: slow %K = 3-bar running total of raw %K (from bar 13) / 3; %D the same over slow %K.
        s[STOCH_K_TOTAL] = running_total(
            s[STOCH_K_TOTAL], fast_k[i], fast_k[i - 3] if i >= 3 else 0.0, bar, 3, 13)
        slow_k = s[STOCH_K_TOTAL] / 3.0 if bar >= 15 else 0.0
        s[STOCH_D_TOTAL] = running_total(s[STOCH_D_TOTAL], slow_k, s[SLOW_K_2], bar, 3, 15)
        s[SLOW_K_2] = s[SLOW_K_1]
        s[SLOW_K_1] = s[SLOW_K]
        s[SLOW_K] = slow_k
        _write_outputs(out[i], s, bar, prev_sma_50)
    return out, s


@njit(cache=True)
def _write_outputs(row, s, bar, prev_sma_50):
    if bar >= 9:
        row[O_SMA10] = s[SMA10] / 10.0
        row[O_EMA10] = s[EMA10]
    if bar >= 19:
        row[O_SMA20] = s[SMA20] / 20.0
        row[O_EMA20] = s[EMA20]
    if bar >= 49:
        row[O_SMA50] = s[SMA50] / 50.0
        row[O_EMA50] = s[EMA50]
    if bar >= 50:
        row[O_SMA50_SLOPE] = s[SMA50] / 50.0 - prev_sma_50
    if bar >= 14:
        moved = s[AVG_LOSS] + s[AVG_GAIN]
        row[O_RSI] = s[AVG_GAIN] / moved * 100.0 if moved > 0 else 0.0
        row[O_ATR] = s[ATR]
    if bar >= 17:
        row[O_STOCH_K] = s[SLOW_K]
        row[O_STOCH_D] = s[STOCH_D_TOTAL] / 3.0
    if bar >= 33:
        row[O_MACD] = s[MACD_FAST] - s[MACD_SLOW]
        row[O_MACD_SIGNAL] = s[MACD_SIGNAL]
        row[O_MACD_HIST] = (s[MACD_FAST] - s[MACD_SLOW]) - s[MACD_SIGNAL]


def ta_features(close, high, low, first_bar=0, start=0, state=None):
    """Float64 wrapper of ta_series; `state` None means a series starting from bar 0."""
    as_float = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    initial = np.zeros(len(STATE_FIELDS)) if state is None else as_float(state)
    if initial.shape != (len(STATE_FIELDS),):
        raise ValueError(f"ta state has {initial.shape[0]} values; expected {len(STATE_FIELDS)} ({', '.join(STATE_FIELDS)})")
    return ta_series(as_float(close), as_float(high), as_float(low), int(first_bar), int(start), initial)
