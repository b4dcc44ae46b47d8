"""Trading costs: fees on traded notional and adverse slippage on the fill price.

For a fill of |dq| units in bar j at reference price P (the bar's open for signal
orders, the stop / target price or the gapped open for exits):

    slip_j   = slippage_bps / 1e4 + slippage_vol_k * std_(j-1)
    fill     = P * (1 + slip_j) when buying, P * (1 - slip_j) when selling
    fee      = fee_rate * |dq| * fill          (fee_rate = bps / 1e4: the fee_side's
                                                rate for signal orders, taker for exits)
    slippage = |dq| * P * slip_j               (the cost reported per trade)

std_(j-1) is the per-bar sample standard deviation of simple close returns over the
vol_window bars ending at bar j-1, i.e. what was known when the order was decided.
Until that window has filled (and at bar 0) the volatility part is 0.

The per-fill formulas (fill_price, fill_fee, slippage_cost) are the one definition:
the kernel's fills (trades.fill) and the paper broker (include/execution) call them.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from include.backtest.bars import Bars
from include.backtest.config import Costs


def slippage_fractions(bars: Bars, costs: Costs) -> np.ndarray:
    """slip_j for every bar j (a fraction of the reference price)."""
    slip = np.full(len(bars), costs.slippage_bps / 1e4)
    if costs.slippage_vol_k > 0:
        known = np.nan_to_num(bars.return_std(costs.vol_window)[:-1], nan=0.0)
        slip[1:] += costs.slippage_vol_k * known
    return slip


def slippage_fraction(costs: Costs, known_std: float) -> float:
    """slip for one fill: the same sum as slippage_fractions, given the std known at the previous close."""
    slip = costs.slippage_bps / 1e4
    if costs.slippage_vol_k > 0 and known_std == known_std:  # NaN (warm-up) adds nothing
        slip += costs.slippage_vol_k * known_std
    return slip


@njit(cache=True)
def fill_price(ref, slip, buying):
    """The reference price moved against the trader by slip."""
    return ref * (1.0 + slip) if buying else ref * (1.0 - slip)


@njit(cache=True)
def fill_fee(fee_rate, units, price):
    """Fee on the traded notional at the fill price (units >= 0)."""
    return fee_rate * units * price


@njit(cache=True)
def slippage_cost(units, ref, slip):
    """What slippage cost the fill, measured at the reference price (units >= 0)."""
    return units * ref * slip
