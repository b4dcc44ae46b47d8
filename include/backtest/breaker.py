"""Multi-level drawdown circuit breaker, evaluated at every bar's close inside the simulation.

drawdown = 1 - equity / peak, peak = the running maximum of closing equity
(starting at the initial capital).

- level 0: drawdown < warn (5 %): normal.
- level 1: drawdown >= warn: a warning event only.
- level 2: drawdown >= halve (10 %): target exposures are multiplied by halve_scale
  (0.5); the open position is resized at the next open.
- level 3: drawdown >= halt (15 %): the position is flattened at the next open
  (exit reason 'breaker') and no order is placed for halt_bars bars.
  Recovery rule: after halt_bars bars the peak is reset to the equity at that close
  and the level returns to 0, so trading resumes at the next open from a fresh
  peak. (Waiting for equity to recover cannot work: flat, equity does not move.)
  A halt started at bar h's close therefore keeps the account flat for bars
  h+1 .. h+halt_bars; the strategy's current signal is re-entered at bar h+halt_bars+1.

Levels 0-2 follow the drawdown both ways at every close; every change of level, up
or down, is an event (bar, level, previous level, drawdown, equity, peak). The
resume event reports the drawdown from the peak in force before the reset.
"""
from __future__ import annotations

from numba import njit

from include.backtest.jit import borrowing

LEVEL, PEAK, HALT_START = 0, 1, 2
HALT_LEVEL = 3
ACTIONS = ("normal", "warn", "halve", "halt")

# Columns of an event record.
EV_BAR, EV_LEVEL, EV_PREVIOUS, EV_DRAWDOWN, EV_EQUITY, EV_PEAK = range(6)
EVENT_FIELDS = 6


@njit(cache=True)
def level_for(drawdown, warn, halve, halt):
    if drawdown >= halt:
        return 3
    if drawdown >= halve:
        return 2
    if drawdown >= warn:
        return 1
    return 0


@borrowing
def step(state, events, n_events, bar, equity, warn, halve, halt, halt_bars):
    """Update state = [level, peak, halt_start] with this close; record a level change. Returns n_events."""
    previous = int(state[LEVEL])
    peak = max(state[PEAK], equity)
    drawdown = 1.0 - equity / peak
    if previous == HALT_LEVEL:
        level = 0 if bar - state[HALT_START] >= halt_bars else HALT_LEVEL
        state[PEAK] = equity if level == 0 else peak
    else:
        level = level_for(drawdown, warn, halve, halt)
        state[PEAK] = peak
        if level == HALT_LEVEL:
            state[HALT_START] = bar
    state[LEVEL] = level
    if level == previous:
        return n_events
    row = events[n_events]
    row[EV_BAR] = bar
    row[EV_LEVEL] = level
    row[EV_PREVIOUS] = previous
    row[EV_DRAWDOWN] = drawdown
    row[EV_EQUITY] = equity
    row[EV_PEAK] = peak
    return n_events + 1
