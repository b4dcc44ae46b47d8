"""The sweep metrics of one run, in Numba, equal to result.performance to 1e-12 relative.

The batch kernel (batch.py) summarises each run inside Numba so only one row per
parameter set returns to Python. The definitions are include/metrics/risk.py's;
this module repeats NumPy's order of operations where one pass allows it:
- a sum is NumPy's pairwise summation (np.add.reduce on a contiguous float64
  array: blocks of 8 accumulators up to 128 values, halves above; pairwise_sum),
  streamed leaf by leaf (pairwise_plan), so no array of returns is stored;
- a product is a left-to-right loop (np.multiply.reduce has no pairwise form);
- mean = sum / n, the same float as NumPy's; std (ddof=1) from sum(x ** 2) - sum(x) * mean
  (one pass; np.std sums (x - mean) ** 2 after a first pass: a few ulps apart for returns,
  whose squared mean is tiny against their variance);
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
VALUES, DEVIATIONS, SHORTFALLS = range(3)  # what pairwise_sum adds up (_add)
WIDEN = 1.0 + 1e-9    # see performance: a margin of ~1e7 ulps around a quotient's rounding


@njit(cache=True, inline="always")
def _add(v, q, s, x, center):
    """(v, q, s) plus x's three terms: x (VALUES), (x - center) ** 2 (DEVIATIONS), min(x, 0) ** 2 (SHORTFALLS).
    Summing a term where it is read gives the same floats as NumPy summing a stored array of them."""
    d, m = x - center, min(x, 0.0)
    return v + x, q + d * d, s + m * m


@njit(cache=True, inline="always")  # inlined, the center a constant 0.0 in performance costs nothing
def _block_sums(a, lo, n, center):
    """NumPy's pairwise_sum for n <= PAIRWISE_BLOCK, of the three terms of a[lo:lo + n] at once (_add: the
    same additions in the same order for each, so the same floats as three separate sums): below 8 values a
    plain loop from 0.0; else 8 accumulators, combined in a fixed tree, then the rest. NumPy starts each
    accumulator at its first value; starting at -0.0 is the same float (-0.0 + x is x, for every x)."""
    if n < 8:
        v = q = s = 0.0
        for i in range(n):
            v, q, s = _add(v, q, s, a[lo + i], center)
        return v, q, s
    v0 = v1 = v2 = v3 = v4 = v5 = v6 = v7 = -0.0
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = -0.0
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = -0.0
    end = lo + n - n % 8
    k = lo
    while k < end:
        v0, q0, s0 = _add(v0, q0, s0, a[k], center)
        v1, q1, s1 = _add(v1, q1, s1, a[k + 1], center)
        v2, q2, s2 = _add(v2, q2, s2, a[k + 2], center)
        v3, q3, s3 = _add(v3, q3, s3, a[k + 3], center)
        v4, q4, s4 = _add(v4, q4, s4, a[k + 4], center)
        v5, q5, s5 = _add(v5, q5, s5, a[k + 5], center)
        v6, q6, s6 = _add(v6, q6, s6, a[k + 6], center)
        v7, q7, s7 = _add(v7, q7, s7, a[k + 7], center)
        k += 8
    v = ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7))
    q = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for k in range(end, lo + n):
        v, q, s = _add(v, q, s, a[k], center)
    return v, q, s


@njit(cache=True)
def _half(n):
    half = n // 2
    return half - half % 8


@njit(cache=True)
def pairwise_sum(a, lo, n, center=0.0, form=VALUES):
    """a[lo:lo + n].sum() in NumPy's order (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum):
    halves (a multiple of 8 first) down to blocks, left + right: the leaves and merges of pairwise_plan.
    center, form: sum that term of x instead of x (see _add)."""
    sizes, merges = pairwise_plan(n)
    sums = np.empty(64)  # depth <= log2(n): 64 levels cover any array
    depth = 0
    for leaf in range(sizes.shape[0]):
        sums[depth] = _block_sums(a, lo, sizes[leaf], center)[form]
        lo += sizes[leaf]
        depth += 1
        for _ in range(merges[leaf]):
            depth -= 1
            sums[depth - 1] = sums[depth - 1] + sums[depth]
    return sums[0]


@njit(cache=True)
def bar_returns(equity, initial_capital, returns):
    """result.bar_returns into `returns` (NaN kept)."""
    previous = initial_capital
    for j in range(equity.shape[0]):
        returns[j] = equity[j] / previous - 1.0
        previous = equity[j]


@njit(cache=True, inline="always")
def _drawdown(growth, running, worst, undefined):
    """(worst, undefined) after this wealth: risk.drawdown_series is wealth / max(running max, 1) - 1; x - 1
    rounds monotonically, so the minimum of the ratios minus 1 is the same float. A ratio is divided out only
    where it may be a new minimum (wealth below worst * peak, widened by far more than rounding can move a
    quotient): the division is the loop's cost. A NaN ratio (a NaN wealth, inf / inf) is NumPy's NaN."""
    peak = running if running > 1.0 else 1.0
    if growth != growth or growth == math.inf:
        return worst, True
    if growth < worst * peak * WIDEN:
        ratio = growth / peak
        undefined = undefined or ratio != ratio
        if ratio < worst:
            worst = ratio
    return worst, undefined


@njit(cache=True)
def pairwise_plan(n):
    """The leaves of NumPy's pairwise tree over n values, in order: (sizes, merges), merges[i] = how many
    left + right additions follow leaf i (the stack of partial sums pops that many times). Summing leaves of
    these sizes (_block_sums) and merging as told is NumPy's arithmetic (pairwise_sum), also streamed
    (performance). NumPy recurses; this walks the same tree with an explicit stack (a recursive function
    breaks Numba's cache of its callers)."""
    cap = n // 64 + 2  # above one block, every leaf holds at least 64 values (halves are rounded down to 8s)
    sizes = np.zeros(cap, np.int64)
    merges = np.zeros(cap, np.int64)
    if n <= PAIRWISE_BLOCK:
        sizes[0] = n
        return sizes[:1], merges[:1]
    starts = np.empty(64, np.int64)
    lengths = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    top, leaves = 0, 0
    starts[0], lengths[0] = 0, n
    while top >= 0:
        first, size = starts[top], lengths[top]
        if size <= PAIRWISE_BLOCK:
            sizes[leaves] = size
            leaves += 1
            top -= 1
        elif stage[top] < 2:
            half = _half(size)
            child_start, child_size = (first, half) if stage[top] == 0 else (first + half, size - half)
            stage[top] += 1
            top += 1
            starts[top], lengths[top], stage[top] = child_start, child_size, 0
        else:
            merges[leaves - 1] += 1
            top -= 1
    return sizes[:leaves], merges[:leaves]


@njit(cache=True)
def performance(equity, initial_capital, periods, plan_sizes, plan_merges, leaf, partial, scratch, out):
    """result.performance of equity's bar returns into out[TOTAL_RETURN:MAX_DRAWDOWN + 1], in one pass.

    plan_sizes, plan_merges: pairwise_plan(len(equity)); leaf: PAIRWISE_BLOCK floats; partial: (64, 3)
    floats; scratch: n floats (used only when a return is NaN: see below)."""
    # Per value: result.bar_returns, the running product (np.prod / np.cumprod: left to right),
    # risk._constant (max == min: no value differs from the first) and risk.drawdown_series:
    # wealth / max(running max of wealth, 1) - 1, its minimum. x - 1 rounds monotonically, so the
    # minimum of the ratios minus 1 is the same float. A ratio is divided out only where it may be a
    # new minimum (wealth below worst * peak, widened by far more than rounding can move a quotient):
    # the division is the loop's cost. A NaN ratio (a NaN wealth, inf / inf) is NumPy's NaN.
    # The sums (of x, x ** 2, min(x, 0) ** 2) stream through pairwise_sum's tree: each leaf of values
    # is summed as NumPy sums a block once it is full, and the partial sums merge as the plan says;
    # no array of returns. The plan assumes no NaN return (the count is then the number of bars); a
    # NaN (a NaN equity) makes the count smaller, the tree another, and performance_stored runs instead.
    n = equity.shape[0]
    previous = initial_capital
    growth = worst = 1.0
    undefined = varies = False
    first = equity[0] / initial_capital - 1.0 if n > 0 else 0.0
    running = -math.inf  # the first growth is the first running maximum
    j, depth = 0, 0
    for leaves in range(plan_sizes.shape[0]):
        size = plan_sizes[leaves]
        for i in range(size):  # a leaf of values: the bar loop without a leaf-end test per bar
            x = equity[j] / previous - 1.0
            previous = equity[j]
            j += 1
            if x != x:
                performance_stored(equity, initial_capital, periods, scratch, out)
                return
            varies = varies or x != first
            growth *= 1.0 + x  # (1.0 * (1 + x) is 1 + x: the first factor as NumPy has it)
            if growth > running:
                running = growth
            worst, undefined = _drawdown(growth, running, worst, undefined)
            leaf[i] = x
        partial[depth, VALUES], partial[depth, DEVIATIONS], partial[depth, SHORTFALLS] = _block_sums(leaf, 0, size, 0.0)
        depth += 1
        for _ in range(plan_merges[leaves]):
            depth -= 1
            for form in range(3):
                partial[depth - 1, form] = partial[depth - 1, form] + partial[depth, form]
    for k in range(TOTAL_RETURN, MAX_DRAWDOWN + 1):
        out[k] = math.nan
    if n < MIN_OBSERVATIONS:
        return
    # mean and the shortfall sum are NumPy's floats; the squared deviations' sum is sum(x ** 2) - sum(x) * mean
    # (not NumPy's order: within a few ulps of it while mean ** 2 is small against the variance, as for returns)
    mean = partial[0, VALUES] / n
    deviations = max(partial[0, DEVIATIONS] - partial[0, VALUES] * mean, 0.0)
    _ratios(growth, periods, n, undefined, worst, varies, mean, deviations, partial[0, SHORTFALLS], out)


@njit(cache=True)
def _ratios(growth, periods, m, undefined, worst, varies, mean, deviations, shortfalls, out):
    """The metrics from the pass's running values and sums (m values; deviations: sum((x - mean) ** 2))."""
    deepest = math.nan if undefined else worst - 1.0
    out[TOTAL_RETURN] = growth - 1.0
    annual = growth ** (periods / m) - 1.0
    out[ANNUAL_RETURN] = annual
    std = math.sqrt(deviations / (m - 1))
    out[ANNUAL_VOLATILITY] = std * math.sqrt(periods)
    if varies:
        out[SHARPE] = mean / std * math.sqrt(periods)
    downside = math.sqrt(shortfalls / m) * math.sqrt(periods)
    if downside > 0:
        out[SORTINO] = mean * periods / downside
    out[MAX_DRAWDOWN] = deepest
    if deepest < 0:
        out[CALMAR] = annual / abs(deepest)


@njit(cache=True)
def performance_stored(equity, initial_capital, periods, scratch, out):
    """performance for an equity with NaN returns: the returns kept in scratch (n floats), NumPy's two passes."""
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
        worst, undefined = _drawdown(growth, running, worst, undefined)
    for k in range(TOTAL_RETURN, MAX_DRAWDOWN + 1):
        out[k] = math.nan
    if m < MIN_OBSERVATIONS:
        return
    r = scratch  # the values, compacted
    mean = pairwise_sum(r, 0, m) / m
    deviations = pairwise_sum(r, 0, m, mean, DEVIATIONS)  # np.std: sum((x - mean) ** 2)
    _ratios(growth, periods, m, undefined, worst, varies, mean, deviations, pairwise_sum(r, 0, m, 0.0, SHORTFALLS),
            out)


@njit(cache=True)
def closed_trades(trade_rows, n_trades):
    """result.trade_stats' n_trades: the trades not marked open at the end (only the last one can be),
    from the trade buffer or ring (kernel.run) the run wrote n_trades trades to."""
    if n_trades == 0:
        return 0
    last = trade_rows[(n_trades - 1) % trade_rows.shape[0], trades.REASON]
    return n_trades - 1 if last == trades.OPEN else n_trades
