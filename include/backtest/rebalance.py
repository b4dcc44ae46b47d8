"""Target-to-orders arithmetic, written once for the paper/live desk and the portfolio backtest.

    target quantity = weight x equity / price
    legs:   delta = target - current; when delta moves toward or through zero, a `reduce`
            leg (toward flat, at most |current|) and, past zero, an `increase` leg (the new
            side); otherwise one `increase` leg
    lots:   each leg's amount truncated to a multiple of the lot step (lot_floor)
    drop:   a leg the venue would refuse (refusal: rounds to 0, below the minimum amount,
            above the maximum, notional below the minimum cost) is not ordered

target_quantity, split_legs and refusal are plain arithmetic: include/execution/targets.py
and markets.py call them with Decimals, and the Numba kernel of include/backtest/portfolio.py
calls their njit-compiled twins (the same source) with floats. The desk rounds with ccxt
(amount_to_precision, any precision mode); the backtest's lot_floor is ccxt's TICK_SIZE
truncation in floats. plan_rebalance (one call per rebalance, all assets) is what the
backtest orders; tests/backtest/test_portfolio_desk.py holds it equal to the desk's plan_orders.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

# refusal codes (0 = the venue accepts the leg)
ACCEPTED, ROUNDS_TO_ZERO, BELOW_MIN_AMOUNT, ABOVE_MAX_AMOUNT, BELOW_MIN_COST = range(5)
# a float quotient within this relative distance below a whole number of steps is that number
# (0.3 / 0.1 = 2.9999999999999996 is 3 steps, as ccxt's decimal truncation of "0.3" says)
LOT_TOLERANCE = 1e-12


def target_quantity(weight, equity, price):
    """Base quantity worth weight x equity at price (unrounded)."""
    return weight * equity / price


def split_legs(target, current):
    """(reduce, increase): signed quantities moving current to target; reduce + increase = target - current.

    reduce moves toward flat (never past it), increase away from it; either may be 0."""
    delta = target - current
    if current != 0 and (delta > 0) != (current > 0):
        cut = min(abs(delta), abs(current))
        reduce = cut if delta > 0 else -cut
        return reduce, delta - reduce
    return delta - delta, delta


def refusal(amount, price, min_amount, max_amount, min_cost):
    """Why a venue would refuse `amount` (>= 0, already rounded) at price: a code above; 0 = accepted.
    No limit: min_amount = min_cost = 0, max_amount = infinity."""
    if amount <= 0:
        return ROUNDS_TO_ZERO
    if amount < min_amount:
        return BELOW_MIN_AMOUNT
    if amount > max_amount:
        return ABOVE_MAX_AMOUNT
    if amount * price < min_cost:
        return BELOW_MIN_COST
    return ACCEPTED


target_quantity_nb = njit(cache=True)(target_quantity)
split_legs_nb = njit(cache=True)(split_legs)
refusal_nb = njit(cache=True)(refusal)


@njit(cache=True)
def lot_floor(amount, step):
    """amount (>= 0) truncated to a multiple of step; step 0 = no lot rounding."""
    if step <= 0:
        return amount
    return math.floor(amount / step * (1.0 + LOT_TOLERANCE)) * step


@njit(cache=True)
def _rounded(leg, step, price, min_amount, max_amount, min_cost):
    amount = lot_floor(abs(leg), step)
    if refusal_nb(amount, price, min_amount, max_amount, min_cost) != ACCEPTED:
        return 0.0
    return amount if leg > 0 else -amount


@njit(cache=True)
def plan_rebalance(weights, equity, prices, holdings, steps, min_amounts, max_amounts, min_costs):
    """Orders moving holdings to weights x equity at prices, per asset: (reduce, increase), signed,
    lot-rounded, 0 where the leg is dropped. Assets with a NaN price or weight are left alone."""
    k = weights.shape[0]
    reduce = np.zeros(k)
    increase = np.zeros(k)
    for i in range(k):
        price = prices[i]
        if not (price > 0) or math.isnan(weights[i]):
            continue
        target = target_quantity_nb(weights[i], equity, price)
        r, a = split_legs_nb(target, holdings[i])
        if r != 0:
            reduce[i] = _rounded(r, steps[i], price, min_amounts[i], max_amounts[i], min_costs[i])
        if a != 0:
            increase[i] = _rounded(a, steps[i], price, min_amounts[i], max_amounts[i], min_costs[i])
    return reduce, increase
