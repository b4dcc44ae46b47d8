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
VALUES, DEVIATIONS, SHORTFALLS = range(3)  # what pairwise_sum adds up (_term)
WIDEN = 1.0 + 1e-9    # see performance: a margin of ~1e7 ulps around a quotient's rounding


@njit(cache=True, inline="always")
def _term(x, center, form):
    """The summed value: x (VALUES), (x - center) ** 2 (DEVIATIONS), min(x, 0) ** 2 (SHORTFALLS). Summing the
    term where it is read gives the same floats as NumPy summing a stored array of them, without the array."""
    if form == VALUES:
        return x
    d = x - center if form == DEVIATIONS else min(x, 0.0)
    return d * d


@njit(cache=True)
def _block_sum(a, lo, n, center, form):
    """NumPy's pairwise_sum for n <= PAIRWISE_BLOCK: 8 accumulators, combined in a fixed tree, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += _term(a[lo + i], center, form)
        return res
    r0, r1 = _term(a[lo], center, form), _term(a[lo + 1], center, form)
    r2, r3 = _term(a[lo + 2], center, form), _term(a[lo + 3], center, form)
    r4, r5 = _term(a[lo + 4], center, form), _term(a[lo + 5], center, form)
    r6, r7 = _term(a[lo + 6], center, form), _term(a[lo + 7], center, form)
    i = 8
    end = n - n % 8
    while i < end:
        k = lo + i
        r0 += _term(a[k], center, form)
        r1 += _term(a[k + 1], center, form)
        r2 += _term(a[k + 2], center, form)
        r3 += _term(a[k + 3], center, form)
        r4 += _term(a[k + 4], center, form)
        r5 += _term(a[k + 5], center, form)
        r6 += _term(a[k + 6], center, form)
        r7 += _term(a[k + 7], center, form)
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += _term(a[lo + i], center, form)
        i += 1
    return res


@njit(cache=True)
def _half(n):
    half = n // 2
    return half - half % 8


@njit(cache=True)
def pairwise_sum(a, lo, n, center=0.0, form=VALUES):
    """a[lo:lo + n].sum() in NumPy's order (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum):
    halves (a multiple of 8 first) down to blocks, left + right. NumPy recurses; this walks the same
    tree with an explicit stack (a recursive function breaks Numba's cache of its callers).
    center, form: sum _term(x) instead of x (see _term)."""
    if n <= PAIRWISE_BLOCK:
        return _block_sum(a, lo, n, center, form)
    starts = np.empty(64, np.int64)  # depth <= log2(n): 64 levels cover any array
    sizes = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    sums = np.empty(64)
    top, n_sums = 0, 0
    starts[0], sizes[0] = lo, n
    while top >= 0:
        first, size = starts[top], sizes[top]
        if size <= PAIRWISE_BLOCK:
            sums[n_sums] = _block_sum(a, first, size, center, form)
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
    """result.bar_returns into `returns` (NaN kept)."""
    previous = initial_capital
    for j in range(equity.shape[0]):
        returns[j] = equity[j] / previous - 1.0
        previous = equity[j]


@njit(cache=True)
def performance(equity, initial_capital, periods, scratch, out):
    """result.performance of equity's bar returns into out[TOTAL_RETURN:MAX_DRAWDOWN + 1]; scratch: n floats."""
    # One pass: result.bar_returns, risk._values (drop NaN), then per value the running product
    # (np.prod / np.cumprod: left to right), risk._constant (max == min: no value differs from the first)
    # and risk.drawdown_series: wealth / max(running max of wealth, 1) - 1, its minimum. x - 1 rounds
    # monotonically, so the minimum of the ratios minus 1 is the same float. A ratio is divided out only
    # where it may be a new minimum (wealth below worst * peak, widened by far more than rounding can
    # move a quotient): the division is the loop's cost. A NaN ratio (a NaN wealth, inf / inf) is NumPy's NaN.
    m = 0
    previous = initial_capital
    growth = running = first = 0.0
    worst = 1.0
    undefined = varies = False
    for j in range(equity.shape[0]):
        x = equity[j] / previous - 1.0
        previous = equity[j]
        if x != x:
            continue
        scratch[m] = x
        if m == 0:
            first = x
            growth = running = 1.0 + x
        else:
            varies = varies or x != first
            growth *= 1.0 + x
            if growth > running:
                running = growth
        m += 1
        peak = running if running > 1.0 else 1.0
        if growth != growth or growth == math.inf:
            undefined = True
        elif growth < worst * peak * WIDEN:
            ratio = growth / peak
            undefined = undefined or ratio != ratio
            if ratio < worst:
                worst = ratio
    for k in range(TOTAL_RETURN, MAX_DRAWDOWN + 1):
        out[k] = math.nan
    if m < MIN_OBSERVATIONS:
        return
    r = scratch  # the values, compacted
    deepest = math.nan if undefined else worst - 1.0
    out[TOTAL_RETURN] = growth - 1.0
    annual = growth ** (periods / m) - 1.0
    out[ANNUAL_RETURN] = annual
    mean = pairwise_sum(r, 0, m) / m
    std = math.sqrt(pairwise_sum(r, 0, m, mean, DEVIATIONS) / (m - 1))  # np.std: sum((x - mean) ** 2)
    out[ANNUAL_VOLATILITY] = std * math.sqrt(periods)
    if varies:
        out[SHARPE] = mean / std * math.sqrt(periods)
    downside = math.sqrt(pairwise_sum(r, 0, m, 0.0, SHORTFALLS) / m) * math.sqrt(periods)
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
