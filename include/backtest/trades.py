"""The account inside the simulation: cash, units held, and the trade being built.

A trade runs from the fill that opens a position (from flat, or the opening half of
a flip) to the fill that closes it; fills that resize it in between belong to it.
Its pnl is the sum of its fills' cash flows minus its fees, so the sum of all trade
pnls (the last one marked at the final close if still open) is final equity minus
initial capital exactly.

Everything lives in one float64 vector `acct` (indices below) so the Numba
functions can share it without a class.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from include.backtest import costs
from include.backtest.jit import borrowing

# Why a trade ended.
SIGNAL, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP, BREAKER, OPEN = range(6)
EXIT_REASONS = ("signal", "stop_loss", "take_profit", "trailing_stop", "breaker", "open")

# Columns of a trade record.
(ENTRY_BAR, EXIT_BAR, SIDE, SIZE, QTY, ENTRY_PRICE, EXIT_PRICE, FEES, SLIPPAGE, PNL, RETURN,
 REASON) = range(12)
TRADE_FIELDS = 12

# The account vector.
(CASH, UNITS, N_TRADES, TURNOVER, FEES_TOTAL, SLIPPAGE_TOTAL,
 T_ENTRY_BAR, T_SIDE, T_SIZE, T_MAX_QTY, T_ADD_QTY, T_ADD_VALUE, T_CUT_QTY, T_CUT_VALUE,
 T_FLOW, T_FEES, T_SLIPPAGE) = range(17)
ACCT_FIELDS = 17


@njit(cache=True)
def new_account(initial_capital):
    acct = np.zeros(ACCT_FIELDS)
    acct[CASH] = initial_capital
    return acct


@borrowing
def entry_price(acct):
    """Average fill price of the units the trade bought (long) or sold (short)."""
    return acct[T_ADD_VALUE] / acct[T_ADD_QTY]


@borrowing
def fill(acct, dq, ref, slip, fee_rate):
    """Trade dq units (never across zero) at ref moved adversely by slip; pay fee_rate on the notional."""
    units = abs(dq)
    price = costs.fill_price(ref, slip, dq > 0)
    fee = costs.fill_fee(fee_rate, units, price)
    slippage = costs.slippage_cost(units, ref, slip)
    equity = acct[CASH] + acct[UNITS] * ref
    if equity > 0:
        acct[TURNOVER] += units * ref / equity
    if abs(acct[UNITS] + dq) > abs(acct[UNITS]):
        acct[T_ADD_QTY] += units
        acct[T_ADD_VALUE] += units * price
    else:
        acct[T_CUT_QTY] += units
        acct[T_CUT_VALUE] += units * price
    acct[CASH] -= dq * price + fee
    acct[UNITS] += dq
    acct[T_FLOW] -= dq * price
    acct[T_FEES] += fee
    acct[T_SLIPPAGE] += slippage
    acct[T_MAX_QTY] = max(acct[T_MAX_QTY], abs(acct[UNITS]))
    acct[FEES_TOTAL] += fee
    acct[SLIPPAGE_TOTAL] += slippage


@borrowing
def open_trade(acct, bar, side, size):
    for k in range(T_ENTRY_BAR, ACCT_FIELDS):
        acct[k] = 0.0
    acct[T_ENTRY_BAR] = bar
    acct[T_SIDE] = side
    acct[T_SIZE] = size


@borrowing
def record_trade(acct, trades, bar, reason, mark):
    """Write the trade to trades[n] (trades[n % rows]: a short buffer is a ring); units still held (an open
    trade at the end) are valued at `mark`."""
    n = int(acct[N_TRADES])
    held = abs(acct[UNITS])
    entry = entry_price(acct)
    row = trades[n % trades.shape[0]]
    row[ENTRY_BAR] = acct[T_ENTRY_BAR]
    row[EXIT_BAR] = bar
    row[SIDE] = acct[T_SIDE]
    row[SIZE] = acct[T_SIZE]
    row[QTY] = acct[T_MAX_QTY]
    row[ENTRY_PRICE] = entry
    row[EXIT_PRICE] = (acct[T_CUT_VALUE] + held * mark) / (acct[T_CUT_QTY] + held)
    row[FEES] = acct[T_FEES]
    row[SLIPPAGE] = acct[T_SLIPPAGE]
    row[PNL] = acct[T_FLOW] + acct[UNITS] * mark - acct[T_FEES]
    row[RETURN] = row[PNL] / (entry * acct[T_MAX_QTY])
    row[REASON] = reason
    acct[N_TRADES] = n + 1


@borrowing
def rebalance(acct, trades, bar, target_units, ref, slip, fee_rate, reason, size):
    """Move the position to target_units at ref; a flip closes the trade and opens another.

    Returns True when a new trade was opened.
    """
    units = acct[UNITS]
    if units != 0 and (target_units == 0 or (target_units > 0) != (units > 0)):
        fill(acct, -units, ref, slip, fee_rate)
        record_trade(acct, trades, bar, reason, ref)
        units = 0.0
    if target_units == units:
        return False
    opened = units == 0
    if opened:
        open_trade(acct, bar, 1.0 if target_units > 0 else -1.0, size)
    fill(acct, target_units - units, ref, slip, fee_rate)
    return opened
