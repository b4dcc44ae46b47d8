"""The practical limit for benchmarks/sweep_batch.py: a plain Numba prange kernel over an SMA grid.

The same fills and fees as the engine (target units = exposure * equity / open, fee on the
traded notional, paid from cash), the TIE band of sma_crossover, Sharpe and max drawdown
from running sums; nothing else (no slippage, sizing, exits, breaker, trade records).
Imported by the benchmark's worker only, so the parent process never loads Numba.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def reference_grid(open_, close, averages, fast, slow, fee, capital, periods):
    k, n = fast.shape[0], close.shape[0]
    out = np.empty((k, 4))                         # final equity, closed trades, Sharpe, max drawdown
    for p in prange(k):
        f, s = averages[fast[p]], averages[slow[p]]
        cash, units, state, held, trades = capital, 0.0, 0.0, 0.0, 0
        prev, peak, deepest, total, squares = capital, capital, 0.0, 0.0, 0.0
        for t in range(n):
            if state != held:                      # decided at t-1's close, filled at t's open
                equity = cash + units * open_[t]
                target = state * equity / open_[t]
                dq = target - units
                cash -= dq * open_[t] + fee * abs(dq) * open_[t]
                trades += held != 0
                units, held = target, state
            equity = cash + units * close[t]
            r = equity / prev - 1.0
            prev = equity
            total += r
            squares += r * r
            peak = max(peak, equity)
            deepest = min(deepest, equity / peak - 1.0)
            band = 1e-10 * abs(s[t])
            if f[t] > s[t] + band:
                state = 1.0
            elif f[t] < s[t] - band:
                state = 0.0
        mean = total / n
        out[p, 0], out[p, 1], out[p, 3] = prev, trades, deepest
        out[p, 2] = mean / math.sqrt((squares - n * mean * mean) / (n - 1)) * math.sqrt(periods)
    return out
