"""The sweep metrics of one run, in Numba, equal to result.performance to the last bit.

The batch kernel (batch.py) summarises each run inside Numba so only one row per
parameter set returns to Python. The definitions are include/metrics/risk.py's;
this module repeats NumPy's order of operations so the numbers are the same floats:
- a sum is NumPy's pairwise summation (np.add.reduce on a contiguous float64
  array: blocks of 8 accumulators up to 128 values, halves above; pairwise_sum);
- a product is a left-to-right loop (np.multiply.reduce has no pairwise form);
- mean = sum / n; std (ddof=1) = sqrt(sum((x - mean) ** 2) / (n - 1)), as np.std;
- NaN returns are dropped first (risk._values), fewer than 2 left = every metric NaN.
tests/sweeps/test_batch_evaluator.py holds pairwise_sum to np.sum bit for bit and every
row to run_backtest's metrics on the real candles.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from include.backtest import trades

# Columns of a summary row: the sweep metrics (include/sweeps/spec.py METRICS), then the trade count.
FIELDS = ("total_return", "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio",
          "calmar_ratio", "max_drawdown", "n_trades", "final_equity")
(TOTAL_RETURN, ANNUAL_RETURN, ANNUAL_VOLATILITY, SHARPE, SORTINO, CALMAR, MAX_DRAWDOWN, N_TRADES,
 FINAL_EQUITY) = range(len(FIELDS))
MIN_OBSERVATIONS = 2  # risk.MIN_OBSERVATIONS
PAIRWISE_BLOCK = 128  # NumPy's PW_BLOCKSIZE


@njit(cache=True)
def _block_sum(a, lo, n):
    """NumPy's pairwise_sum for n <= PAIRWISE_BLOCK: 8 accumulators, combined in a fixed tree, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    end = n - n % 8
    while i < end:
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _half(n):
    half = n // 2
    return half - half % 8


@njit(cache=True)
def pairwise_sum(a, lo, n):
    """a[lo:lo + n].sum() in NumPy's order (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum):
    halves (a multiple of 8 first) down to blocks, left + right. NumPy recurses; this walks the same
    tree with an explicit stack (a recursive function breaks Numba's cache of its callers)."""
    if n <= PAIRWISE_BLOCK:
        return _block_sum(a, lo, n)
    starts = np.empty(64, np.int64)  # depth <= log2(n): 64 levels cover any array
    sizes = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    sums = np.empty(64)
    top, n_sums = 0, 0
    starts[0], sizes[0] = lo, n
    while top >= 0:
        first, size = starts[top], sizes[top]
        if size <= PAIRWISE_BLOCK:
            sums[n_sums] = _block_sum(a, first, size)
            n_sums += 1
            top -= 1
        elif stage[top] < 2:  # descend into the left half, then the right half
            half = _half(size)
            child_start, child_size = (first, half) if stage[top] == 0 else (first + half, size - half)
            stage[top] += 1
            top += 1
            starts[top], sizes[top], stage[top] = child_start, child_size, 0
        else:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
            top -= 1
    return sums[0]


@njit(cache=True)
def bar_returns(equity, initial_capital, returns):
    """result.bar_returns into `returns` (NaN kept); returns the count."""
    previous = initial_capital
    for j in range(equity.shape[0]):
        returns[j] = equity[j] / previous - 1.0
        previous = equity[j]
    return equity.shape[0]


@njit(cache=True)
def performance(returns, n, periods, scratch, out):
    """result.performance of returns[:n] into out[TOTAL_RETURN:MAX_DRAWDOWN + 1]; scratch: 2n floats."""
    m = 0
    for j in range(n):  # risk._values: drop NaN
        if not math.isnan(returns[j]):
            scratch[m] = returns[j]
            m += 1
    for k in range(TOTAL_RETURN, MAX_DRAWDOWN + 1):
        out[k] = math.nan
    if m < MIN_OBSERVATIONS:
        return
    r = scratch  # the values, compacted; scratch[m:2m] holds the squares below
    growth = 1.0
    running = math.nan
    deepest = math.inf
    low, high = r[0], r[0]
    for i in range(m):
        low = min(low, r[i])
        high = max(high, r[i])
        growth = 1.0 + r[0] if i == 0 else growth * (1.0 + r[i])  # np.prod / np.cumprod: left to right
        # risk.drawdown_series: peak = max(running max of wealth, 1); a NaN propagates as in NumPy
        if i == 0 or math.isnan(growth):
            running = growth
        elif not math.isnan(running) and growth > running:
            running = growth
        peak = running if math.isnan(running) or running > 1.0 else 1.0
        drawdown = growth / peak - 1.0
        if not math.isnan(deepest) and (math.isnan(drawdown) or drawdown < deepest):
            deepest = drawdown  # np.min: a NaN wins
    out[TOTAL_RETURN] = growth - 1.0
    annual = growth ** (periods / m) - 1.0
    out[ANNUAL_RETURN] = annual
    mean = pairwise_sum(r, 0, m) / m
    squares = scratch[m:2 * m]
    for i in range(m):
        d = r[i] - mean
        squares[i] = d * d
    std = math.sqrt(pairwise_sum(squares, 0, m) / (m - 1))
    out[ANNUAL_VOLATILITY] = std * math.sqrt(periods)
    if low != high:  # risk._constant
        out[SHARPE] = mean / std * math.sqrt(periods)
    for i in range(m):
        shortfall = min(r[i], 0.0)
        squares[i] = shortfall * shortfall
    downside = math.sqrt(pairwise_sum(squares, 0, m) / m) * math.sqrt(periods)
    if downside > 0:
        out[SORTINO] = mean * periods / downside
    out[MAX_DRAWDOWN] = deepest
    if deepest < 0:
        out[CALMAR] = annual / abs(deepest)


@njit(cache=True)
def closed_trades(trade_rows, n_trades):
    """result.trade_stats' n_trades: the trades not marked open at the end (only the last one can be),
    from the trade buffer or ring (kernel.run) the run wrote n_trades trades to."""
    if n_trades == 0:
        return 0
    last = trade_rows[(n_trades - 1) % trade_rows.shape[0], trades.REASON]
    return n_trades - 1 if last == trades.OPEN else n_trades
