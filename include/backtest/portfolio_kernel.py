"""The shared-cash account over many assets, bar by bar, in Numba (include/backtest/portfolio.py runs it).

Per bar j, in this order:
1. open:   a rebalance decided at bar j-1's close fills at open_j. Equity at the open is cash
           + units x open (the last close for an asset without a bar at j); the orders are
           rebalance.plan_rebalance(target weights, that equity, the opens, units): every
           asset's reduce leg first, then every increase leg. An asset without a bar at j is
           not traded. Each fill pays the costs.py formulas (the fee_side's fee rate).
2. close:  equity_j = cash + sum(units x close), the last close carried over a missing bar.
3. breaker on the ACCOUNT's equity (breaker.py levels): level 2 scales every target weight
           by halve_scale; level 3 flattens every asset at the next open and orders nothing for
           halt_bars bars, then trading resumes from a fresh peak.
4. decide: a rebalance for bar j+1 when the schedule says so ((j + 1) % every == 0), when the
           target weights changed (on_change), when some |target - current weight| > drift, when
           the breaker's scale changed, or when a halt ends.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from include.backtest import breaker
from include.backtest import costs
from include.backtest.rebalance import plan_rebalance

# Columns of a fill record.
F_BAR, F_ASSET, F_QTY, F_REF, F_PRICE, F_FEE, F_SLIPPAGE, F_LEG, F_REASON = range(9)
FILL_FIELDS = 9
LEG_REDUCE, LEG_INCREASE = 0, 1
LEGS = ("reduce", "increase")
REASON_REBALANCE, REASON_BREAKER, REASON_RUIN = 0, 1, 2
REASONS = ("rebalance", "breaker", "ruin")
# policy: every (0 = no schedule), drift (NaN = off), on_change (0/1)
P_EVERY, P_DRIFT, P_ON_CHANGE = range(3)
# breaker_cfg as kernel.py: on, warn, halve, halt, halve scale, halt bars
B_ON, B_WARN, B_HALVE, B_HALT, B_SCALE, B_HALT_BARS = range(6)


@njit(cache=True)
def _fill(fills, n_fills, j, i, dq, ref, slip, fee_rate, leg, reason, state):
    """Trade dq units of asset i at ref moved adversely by slip; state = [cash, fees, slippage]."""
    units = abs(dq)
    price = costs.fill_price(ref, slip, dq > 0)
    fee = costs.fill_fee(fee_rate, units, price)
    slippage = costs.slippage_cost(units, ref, slip)
    state[0] -= dq * price + fee
    state[1] += fee
    state[2] += slippage
    row = fills[n_fills]
    row[F_BAR] = j
    row[F_ASSET] = i
    row[F_QTY] = dq
    row[F_REF] = ref
    row[F_PRICE] = price
    row[F_FEE] = fee
    row[F_SLIPPAGE] = slippage
    row[F_LEG] = leg
    row[F_REASON] = reason
    return n_fills + 1


@njit(cache=True)
def simulate_portfolio(open_, mark, weights, slip, fee_rate, steps, min_amounts, max_amounts, min_costs,
                       initial_capital, policy, breaker_cfg):
    """open_, mark (closes carried forward, NaN before an asset's first bar), weights (the target at each
    close, NaN = 0), slip: [n bars, k assets]. Returns equity, cash, units [n, k], fills, events, totals."""
    n, k = mark.shape
    equity = np.empty(n)
    cash_out = np.empty(n)
    held = np.empty((n, k))
    units = np.zeros(k)
    fills = np.empty((16, FILL_FIELDS))
    n_fills = 0
    events = np.empty((n + 1, breaker.EVENT_FIELDS))
    n_events = 0
    state = np.array([initial_capital, 0.0, 0.0])  # cash, fees, slippage
    turnover = 0.0
    bstate = np.array([0.0, initial_capital, 0.0])
    last = np.zeros(k)          # the strategy's weights at the last decision
    order = np.zeros(k)
    scale = 1.0
    pending = False
    reason = REASON_REBALANCE
    halted = False
    ruined = False
    every = int(policy[P_EVERY])
    drift = policy[P_DRIFT]
    prices = np.empty(k)
    for j in range(n):
        if pending:
            value = state[0]
            for i in range(k):
                tradable = not math.isnan(open_[j, i])
                prices[i] = open_[j, i] if tradable else math.nan
                if units[i] != 0:
                    value += units[i] * (open_[j, i] if tradable else mark[j - 1, i])
            reduce, increase = plan_rebalance(order, value, prices, units, steps, min_amounts, max_amounts,
                                              min_costs)
            if n_fills + 2 * k > fills.shape[0]:
                grown = np.empty((2 * fills.shape[0] + 2 * k, FILL_FIELDS))
                grown[:n_fills] = fills[:n_fills]
                fills = grown
            for leg in range(2):
                amounts = reduce if leg == LEG_REDUCE else increase
                for i in range(k):
                    dq = amounts[i]
                    if dq != 0:
                        if value > 0:
                            turnover += abs(dq) * prices[i] / value
                        n_fills = _fill(fills, n_fills, j, i, dq, prices[i], slip[j, i], fee_rate, leg, reason,
                                        state)
                        units[i] += dq
            pending = False

        value = state[0]
        for i in range(k):
            if units[i] != 0:
                value += units[i] * mark[j, i]
            held[j, i] = units[i]
        equity[j] = value
        cash_out[j] = state[0]

        level = 0
        if breaker_cfg[B_ON] == 1:
            n_events = breaker.step(bstate, events, n_events, j, value, breaker_cfg[B_WARN], breaker_cfg[B_HALVE],
                                    breaker_cfg[B_HALT], breaker_cfg[B_HALT_BARS])
            level = int(bstate[breaker.LEVEL])
        ruined = ruined or value <= 0
        if ruined or level == breaker.HALT_LEVEL:
            if not halted:  # flatten once; nothing more is ordered while halted
                halted = True
                for i in range(k):
                    order[i] = 0.0
                pending = True
                reason = REASON_RUIN if ruined else REASON_BREAKER
            continue
        resumed = halted
        halted = False
        new_scale = breaker_cfg[B_SCALE] if level == 2 else 1.0
        trigger = resumed or new_scale != scale or (every > 0 and (j + 1) % every == 0)
        changed = False
        worst = 0.0
        for i in range(k):
            w = weights[j, i]
            if math.isnan(w):
                w = 0.0
            if w != last[i]:
                changed = True
            last[i] = w
            if drift == drift and value > 0:
                current = units[i] * mark[j, i] / value if units[i] != 0 else 0.0
                worst = max(worst, abs(w * new_scale - current))
        if (changed and policy[P_ON_CHANGE] == 1) or (drift == drift and worst > drift):
            trigger = True
        if trigger:
            scale = new_scale
            for i in range(k):
                order[i] = last[i] * scale
            pending = True
            reason = REASON_REBALANCE
    totals = np.array([turnover, state[1], state[2]])
    return equity, cash_out, held, fills[:n_fills].copy(), events[:n_events].copy(), totals
