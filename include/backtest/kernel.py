"""The one sequential pass: orders, exits, equity and the breaker, bar by bar, in Numba.

Per bar j, in this order:
1. open:  the order decided at bar j-1's close fills at open_j (units = target
          exposure * equity at open_j / open_j);
2. intra: stops / take-profit on the position now held (exits.py);
3. close: equity_j = cash + units * close_j; the trailing stop and the breaker update;
4. decide: the target exposure for bar j+1 from signal_j, the size and the breaker.
Everything the decision at bar j reads (signal, sizes, volatility, ATR) is known at
bar j's close; nothing of bar j+1 is.

Compiled variants: the optional parts of a bar (exits, the trailing stop, the breaker, the exposure
series) cost per bar even when a run has them off (their calls keep the loop's values out of
registers), so the batch kernel (batch.py) calls run_as with its parts (parts_of) as a constant:
a loop compiled for the parts the configs have, only when a run needs it; run computes the same
loop with the parts as runtime flags.

The signal: an array (signal[j] per bar), or a strategy's in-kernel signal, computed bar by bar
in the loop so a sweep needs no matrix of signals (signal_at): (fast, slow, long_short) is
sma_crossover's crossover of two averages.

Order rule: the engine orders only when the target exposure changes (a new signal
value, a new breaker scale, or an exit); a position is not rebalanced while its
target holds, so units stay fixed and exposure drifts with the price.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload

from include.backtest import breaker
from include.backtest import exits
from include.backtest import trades
from include.backtest.jit import borrowing
from include.backtest.sizing import kelly_size
from include.strategies.sma_crossover import crossover_step

# exit_cfg: stop-loss, take-profit, trailing multiplier (NaN = off), trailing bounds, profit lock.
X_STOP, X_TARGET, X_TRAIL_MULT, X_TRAIL_MIN, X_TRAIL_MAX, X_LOCK_TRIGGER, X_LOCK_PROFIT = range(7)
# kelly_cfg: on, window, min trades, fraction, cap, fallback.
K_ON, K_WINDOW, K_MIN_TRADES, K_FRACTION, K_CAP, K_FALLBACK = range(6)
# breaker_cfg: on, warn, halve, halt, halve scale, halt bars.
B_ON, B_WARN, B_HALVE, B_HALT, B_SCALE, B_HALT_BARS = range(6)
# levels of the open position: stop, target, trailing stop, best price since entry.
L_STOP, L_TARGET, L_TRAIL, L_BEST = range(4)
# decision state: the signal and size the held target came from, the held target, the pending order.
D_SIGNAL, D_SIZE, D_SCALE, D_HELD, D_STOPPED, D_PENDING, D_TARGET, D_REASON = range(8)
# the optional per-bar parts of a run (parts_of): stop-loss / take-profit / trailing exits, the trailing stop's
# update, the breaker, the exposure series
EXITS, TRAILING, BREAKER, EXPOSURE = 1, 2, 4, 8


@borrowing
def _arm_fixed(levels, side, entry, cfg):
    levels[L_STOP] = exits.fixed_level(side, entry, -cfg[X_STOP])
    levels[L_TARGET] = exits.fixed_level(side, entry, cfg[X_TARGET])


@borrowing
def _arm(levels, side, entry, atr_known, cfg):
    """Levels of a new trade; the trailing stop from the ATR known before the entry bar."""
    _arm_fixed(levels, side, entry, cfg)
    levels[L_BEST] = entry
    levels[L_TRAIL] = math.nan
    if not math.isnan(cfg[X_TRAIL_MULT]):
        distance = exits.trail_distance(entry, atr_known, cfg[X_TRAIL_MULT], cfg[X_TRAIL_MIN], cfg[X_TRAIL_MAX])
        levels[L_TRAIL] = entry - side * distance


@njit(cache=True)
def _trail(side, best, trail, entry, high, low, atr, cfg):
    """(best price, trailing stop) after this bar's close. Scalars in and out: array arguments cost per call."""
    best = max(best, high) if side > 0 else min(best, low)
    trail = exits.update_trail(side, trail, best, entry, atr, cfg[0], cfg[1], cfg[2], cfg[3], cfg[4])
    return best, trail


@borrowing
def _size(bar, sizes, trade_rows, acct, kelly):
    if kelly[K_ON] == 0:
        return sizes[bar]
    return kelly_size(trade_rows[:, trades.RETURN], int(acct[trades.N_TRADES]), int(kelly[K_WINDOW]),
                      int(kelly[K_MIN_TRADES]),
                      kelly[K_FRACTION], kelly[K_CAP], kelly[K_FALLBACK])


@borrowing
def _decide(dec, bar, s, scale, reason, sizes, trade_rows, acct, kelly):
    """Set a pending order when the target exposure for the next bar differs from the held one."""
    if dec[D_STOPPED] == 1:
        if s == dec[D_SIGNAL]:
            return  # stopped out: no re-entry until the signal changes
        dec[D_STOPPED] = 0
    resize = s != 0 and dec[D_SIZE] == 0  # size was unknown (warm-up of the volatility)
    if s == dec[D_SIGNAL] and scale == dec[D_SCALE] and not resize:
        return
    if s == 0:
        size = 0.0
    elif s != dec[D_SIGNAL] or resize:
        size = _size(bar, sizes, trade_rows, acct, kelly)
    else:
        size = dec[D_SIZE]
    target = s * size * scale
    dec[D_SIGNAL] = s
    dec[D_SIZE] = size
    dec[D_SCALE] = scale
    if target != dec[D_HELD]:
        dec[D_HELD] = target
        dec[D_PENDING] = 1
        dec[D_TARGET] = target
        dec[D_REASON] = reason


@borrowing
def _execute(dec, levels, acct, trade_rows, j, open_, slip, atr_known, fee, exit_cfg):
    equity = acct[trades.CASH] + acct[trades.UNITS] * open_
    target_units = dec[D_TARGET] * equity / open_ if equity > 0 else 0.0
    opened = trades.rebalance(acct, trade_rows, j, target_units, open_, slip, fee, int(dec[D_REASON]),
                              abs(dec[D_TARGET]))
    dec[D_PENDING] = 0
    if acct[trades.UNITS] == 0:
        return
    side = acct[trades.T_SIDE]
    if opened:
        _arm(levels, side, trades.entry_price(acct), atr_known, exit_cfg)
    else:
        _arm_fixed(levels, side, trades.entry_price(acct), exit_cfg)  # a resize moves the average entry


@njit(cache=True)
def simulate(open_, high, low, close, signal, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
             kelly_cfg, exit_cfg, breaker_cfg):
    """Run the account over the bars; returns equity, exposure, trades, events, account totals."""
    n = close.shape[0]
    equity = np.empty(n)
    exposure = np.empty(n)
    trade_rows = np.empty((n + 1, trades.TRADE_FIELDS))
    events = np.empty((n + 1, breaker.EVENT_FIELDS))
    acct, n_events = run(open_, high, low, close, signal, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
                         kelly_cfg, exit_cfg, breaker_cfg, equity, exposure, trade_rows, events)
    n_trades = int(acct[trades.N_TRADES])
    totals = np.array([acct[trades.TURNOVER], acct[trades.FEES_TOTAL], acct[trades.SLIPPAGE_TOTAL]])
    return equity, exposure, trade_rows[:n_trades].copy(), events[:n_events].copy(), totals


@njit(cache=True)
def parts_of(exit_cfg, breaker_cfg, keep_exposure):
    """The run's variant: which optional per-bar parts it has (EXITS | TRAILING | BREAKER | EXPOSURE)."""
    has_exits = not (math.isnan(exit_cfg[X_STOP]) and math.isnan(exit_cfg[X_TARGET])
                     and math.isnan(exit_cfg[X_TRAIL_MULT]))
    return ((EXITS if has_exits else 0) | (TRAILING if not math.isnan(exit_cfg[X_TRAIL_MULT]) else 0)
            | (BREAKER if breaker_cfg[B_ON] == 1 else 0) | (EXPOSURE if keep_exposure else 0))


def _flags(parts):
    """(exits, trailing, breaker, exposure) of a variant (overloaded below)."""


@overload(_flags)
def _flags_typed(parts):
    # A literal variant (the batch kernel's) gives constants: the compiled loop has only its own parts. Each branch
    # it leaves out would cost per bar even when skipped (its calls keep the loop's values out of registers).
    if isinstance(parts, types.IntegerLiteral):
        v = parts.literal_value
        constant = (v & EXITS != 0, v & TRAILING != 0, v & BREAKER != 0, v & EXPOSURE != 0)
        return lambda parts: constant
    return lambda parts: (parts & EXITS != 0, parts & TRAILING != 0, parts & BREAKER != 0, parts & EXPOSURE != 0)


@njit(cache=True)
def run(open_, high, low, close, signal, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
        kelly_cfg, exit_cfg, breaker_cfg, equity, exposure, trade_rows, events):
    """The pass itself, into caller-owned buffers (equity, exposure: n, or exposure empty to skip it; events:
    n + 1 rows) so the batch kernel (batch.py) reuses one set per thread. trade_rows: n + 1 rows keep every trade; fewer make it a
    ring (trade i at row i % rows) that must hold Kelly's window plus one. Returns (account vector, events)."""
    return run_as(open_, high, low, close, signal, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
                  kelly_cfg, exit_cfg, breaker_cfg, equity, exposure, trade_rows, events,
                  parts_of(exit_cfg, breaker_cfg, exposure.shape[0] > 0))


def signal_at(signal, j, state):
    """(the signal at bar j, the signal's state after it): see signal_at_typed."""


@overload(signal_at)
def signal_at_typed(signal, j, state):
    # An array: its value (state unused). A tuple (fast, slow, long_short): sma_crossover's crossover, the
    # state its latch; the same floats as crossover() writes into an array (tests/sweeps/test_batch_evaluator.py).
    if isinstance(signal, types.Array):
        return lambda signal, j, state: (signal[j], state)
    if isinstance(signal, types.BaseTuple) and len(signal) == 3:
        return lambda signal, j, state: crossover_step(signal[0][j], signal[1][j], state, signal[2])
    raise TypingError(f"signal: an array or (fast, slow, long_short), not {signal}")


@njit(cache=True)
def run_as(open_, high, low, close, signal, sizes, slip, atr, initial_capital, fee_signal, fee_exit,
           kelly_cfg, exit_cfg, breaker_cfg, equity, exposure, trade_rows, events, parts):
    """run with its variant given (parts_of)."""
    n = close.shape[0]
    n_events = 0
    acct = trades.new_account(initial_capital)
    levels = np.full(4, np.nan)
    dec = np.zeros(8)
    dec[D_SCALE] = 1.0
    bstate = np.array([0.0, initial_capital, 0.0])
    has_exits, trailing, breaker_on, keep_exposure = _flags(parts)
    trail_cfg = (exit_cfg[X_TRAIL_MULT], exit_cfg[X_TRAIL_MIN], exit_cfg[X_TRAIL_MAX], exit_cfg[X_LOCK_TRIGGER],
                 exit_cfg[X_LOCK_PROFIT])
    ruined = False
    latched = 0.0  # an in-kernel signal's state (signal_at)
    for j in range(n):
        if dec[D_PENDING] == 1:
            atr_known = atr[j - 1] if j > 0 else math.nan
            _execute(dec, levels, acct, trade_rows, j, open_[j], slip[j], atr_known, fee_signal, exit_cfg)
        side = acct[trades.T_SIDE]
        if acct[trades.UNITS] != 0 and has_exits:
            ref, reason = exits.exit_fill(side, levels[L_STOP], levels[L_TRAIL], levels[L_TARGET],
                                          open_[j], high[j], low[j])
            if reason != exits.NO_EXIT:
                trades.fill(acct, -acct[trades.UNITS], ref, slip[j], fee_exit)
                trades.record_trade(acct, trade_rows, j, reason, ref)
                dec[D_HELD] = 0.0
                dec[D_STOPPED] = 1
        value = acct[trades.CASH] + acct[trades.UNITS] * close[j]  # a local: equity[j] would be re-read
        equity[j] = value
        if keep_exposure:
            exposure[j] = acct[trades.UNITS] * close[j] / value if value > 0 else math.nan
        if acct[trades.UNITS] != 0 and trailing:
            levels[L_BEST], levels[L_TRAIL] = _trail(side, levels[L_BEST], levels[L_TRAIL],
                                                     acct[trades.T_ADD_VALUE] / acct[trades.T_ADD_QTY],
                                                     high[j], low[j], atr[j], trail_cfg)

        scale = 1.0
        reason = trades.SIGNAL
        s, latched = signal_at(signal, j, latched)
        if math.isnan(s):
            s = 0.0
        if breaker_on:
            n_events = breaker.step(bstate, events, n_events, j, value, breaker_cfg[B_WARN],
                                breaker_cfg[B_HALVE], breaker_cfg[B_HALT], breaker_cfg[B_HALT_BARS])
            level = int(bstate[breaker.LEVEL])
            if level == breaker.HALT_LEVEL:
                s = 0.0
                reason = trades.BREAKER
                dec[D_STOPPED] = 0
            elif level == 2:
                scale = breaker_cfg[B_SCALE]
        ruined = ruined or value <= 0
        if ruined:
            s = 0.0
        if s != dec[D_SIGNAL] or scale != dec[D_SCALE] or (s != 0 and dec[D_SIZE] == 0):
            _decide(dec, j, s, scale, reason, sizes, trade_rows, acct, kelly_cfg)  # (a call costs, skip it)

    if acct[trades.UNITS] != 0:
        trades.record_trade(acct, trade_rows, n - 1, trades.OPEN, close[n - 1])
    return acct, n_events

