"""Position sizing: the exposure (fraction of equity) one unit of signal buys.

The target exposure decided at bar t's close is signal_t * size_t (times the
breaker's scale). The size is evaluated when the strategy's signal changes and is
then held for the life of that signal, so volatility targeting does not rebalance
every bar.

- fixed:      size = fraction.
- vol_target: size = min(target_vol / (std_t * sqrt(P)), max_leverage), std_t the
              sample std of simple returns over the last vol_window bars ending at
              t, P = periods_per_year(timeframe). While std_t is unknown (warm-up)
              the size is 0 and the entry waits; a flat window (std 0) gets the cap.
- kelly:      over the last kelly_window CLOSED trades (returns = pnl / entry
              notional): p = share of winners, q = 1 - p, b = mean win / mean |loss|,
              f = (p * b - q) / b, size = min(kelly_fraction * f, kelly_cap).
              Falls back to kelly_fallback when fewer than kelly_min_trades trades
              have closed, when there is no winner or no loser (b undefined), or
              when f <= 0.
"""
from __future__ import annotations

import math

import numpy as np

from include.backtest.bars import Bars
from include.backtest.config import Sizing
from include.backtest.jit import borrowing

FIXED, VOL_TARGET, KELLY = 0, 1, 2
METHOD_CODES = {"fixed": FIXED, "vol_target": VOL_TARGET, "kelly": KELLY}


def vol_target_sizes(bars: Bars, sizing: Sizing) -> np.ndarray:
    """size_t for volatility targeting, every bar (0 where the volatility is not yet known)."""
    annual = bars.return_std(sizing.vol_window) * math.sqrt(bars.periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        size = np.minimum(sizing.target_vol / annual, sizing.max_leverage)
    return np.nan_to_num(size, nan=0.0)


def base_sizes(bars: Bars, sizing: Sizing) -> np.ndarray:
    """The per-bar size for fixed and vol-target sizing (Kelly is sized inside the simulation)."""
    if sizing.method == "vol_target":
        return vol_target_sizes(bars, sizing)
    return np.full(len(bars), sizing.fraction)


@borrowing
def kelly_size(trade_returns, count, window, min_trades, fraction, cap, fallback):
    """Fractional Kelly from the last min(count, window) of the `count` returns written to the ring buffer
    trade_returns (return i at i % its length; a buffer of count or more rows is a plain array), oldest first."""
    n = min(count, window)
    if n < min_trades:
        return fallback
    wins = 0
    losses = 0
    win_sum = 0.0
    loss_sum = 0.0
    size = trade_returns.shape[0]
    for i in range(count - n, count):
        r = trade_returns[i % size]
        if r > 0:
            wins += 1
            win_sum += r
        elif r < 0:
            losses += 1
            loss_sum -= r
    if wins == 0 or losses == 0:
        return fallback
    b = (win_sum / wins) / (loss_sum / losses)
    p = wins / n
    f = (p * b - (1.0 - p)) / b
    if not f > 0:
        return fallback
    return min(fraction * f, cap)
