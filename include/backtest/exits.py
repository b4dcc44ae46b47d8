"""Stop-loss, take-profit and the ATR trailing stop: levels, checks and fill prices.

side is +1 (long) or -1 (short); `entry` is the trade's average fill price (slippage
included); `best` is the most favourable price since entry (the highest high of a
long, the lowest low of a short), starting at the entry price. An inactive level is NaN.

Levels
- fixed stop   = entry * (1 - side * stop_loss)
- take profit  = entry * (1 + side * take_profit)
- trailing     = best - side * distance, distance = ATR * mult bounded to
                 [trail_min_pct * best, trail_max_pct * best] (the max bound when ATR
                 is still unknown). Armed at entry from the ATR of the bar before the
                 entry bar; updated at each close from that bar's high/low and ATR; it
                 only ever tightens. Once side * (best / entry - 1) >= lock_trigger the
                 stop is at least entry * (1 + side * lock_profit): the trade keeps that
                 profit (before costs) whatever happens next.
- the stop in force is the tighter of the fixed and the trailing stop.

Checks, in bar j, on the position held after bar j's open (levels as of bar j-1's close):
- stop: if the open is already through it (a gap) the exit fills at the open, else
  if the bar's low (long) / high (short) reaches it, at the stop price;
- take profit: the same with the open / high (long) / low (short) and the target;
- if both could have been hit in one bar the stop wins (the bar's path is unknown,
  so the worse outcome is assumed).
Exit fills pay slippage (costs.py) and the taker fee; the position then stays flat
until the strategy's signal changes.
"""
from __future__ import annotations

import math

from numba import njit

from include.backtest.trades import STOP_LOSS, TAKE_PROFIT, TRAILING_STOP

NO_EXIT = -1


@njit(cache=True)
def tighter(side, a, b):
    """The level closer to the price (higher for a long's stop), ignoring NaN."""
    if math.isnan(a):
        return b
    if math.isnan(b):
        return a
    return max(a, b) if side > 0 else min(a, b)


@njit(cache=True)
def trail_distance(best, atr, mult, min_pct, max_pct):
    if math.isnan(atr):
        return max_pct * best
    return min(max(atr * mult, min_pct * best), max_pct * best)


@njit(cache=True)
def fixed_level(side, entry, fraction):
    """entry moved by `fraction` against (stop, fraction < 0) or with (target) the position; NaN when off."""
    if math.isnan(fraction):
        return math.nan
    return entry * (1.0 + side * fraction)


@njit(cache=True)
def update_trail(side, trail, best, entry, atr, mult, min_pct, max_pct, lock_trigger, lock_profit):
    """The trailing stop after a bar whose best price and ATR are `best` and `atr`."""
    trail = tighter(side, trail, best - side * trail_distance(best, atr, mult, min_pct, max_pct))
    if side * (best / entry - 1.0) >= lock_trigger:
        trail = tighter(side, trail, entry * (1.0 + side * lock_profit))
    return trail


@njit(cache=True)
def exit_fill(side, stop, trail, target, open_, high, low):
    """(reference price, reason) of the exit in this bar, or (NaN, NO_EXIT)."""
    adverse = low if side > 0 else high     # the bar's worst price for the position
    favourable = high if side > 0 else low
    level = tighter(side, stop, trail)
    if not math.isnan(level):
        reason = TRAILING_STOP if level == trail else STOP_LOSS
        if side * (open_ - level) <= 0:
            return open_, reason
        if side * (adverse - level) <= 0:
            return level, reason
    if not math.isnan(target):
        if side * (open_ - target) >= 0:
            return open_, TAKE_PROFIT
        if side * (favourable - target) >= 0:
            return target, TAKE_PROFIT
    return math.nan, NO_EXIT
