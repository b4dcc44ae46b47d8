"""A backtest of the rebalance policy orders what the paper desk's plan_orders orders, bar by bar."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from include.backtest import Costs
from include.backtest.portfolio import Lot, Rebalance, run_shared_cash
from include.backtest.rebalance import plan_rebalance
from include.execution.markets import Markets, spot_market
from include.execution.targets import plan_orders, target_quantities
from tests.backtest.test_portfolio import PARAMS, hourly

SYMBOLS = {"bus_usdt": "BTC/USDT", "bus_usdc": "BTC/USDC", "bus_usd": "BTC/USD"}
STEP, MIN_COST = 0.001, 50.0


def desk_markets() -> Markets:
    return Markets({s: spot_market(s, amount_step=STEP, price_tick=0.01, min_cost=MIN_COST) for s in SYMBOLS.values()})


def signed(orders) -> dict[tuple[str, str], float]:
    return {(o.symbol, o.leg): float(o.amount if o.side == "buy" else -o.amount) for o in orders}


def test_every_rebalance_of_a_backtest_is_the_desks_plan():
    frames = {SYMBOLS[v]: f for v, f in hourly().items()}
    result = run_shared_cash(frames, "sma_crossover", PARAMS, Costs(), rebalance=Rebalance(every=1),
                             lots={s: Lot(step=STEP, min_cost=MIN_COST) for s in frames}, breaker=None)
    markets = desk_markets()
    opens = {s: f["open"].to_numpy() for s, f in frames.items()}
    fills = result.fills
    compared = dropped = 0
    for j in range(1, len(result.equity)):  # every bar rebalances toward the targets decided at j-1's close
        holdings = result.positions.iloc[j - 1]
        prices = {s: opens[s][j] for s in frames}
        equity = result.cash.iloc[j - 1] + sum(holdings[s] * prices[s] for s in frames)
        targets = target_quantities(result.targets.iloc[j - 1].to_dict(), equity, prices)
        # the ledger holds sums of whole lots exactly; the backtest's float sum is that to ~1e-17
        book = {s: round(h, 12) for s, h in holdings.items()}
        plan = plan_orders("bt", targets, book, {}, prices, markets)
        here = fills[fills["bar"] == j]
        got = {(a, leg): q if side == "buy" else -q
               for a, leg, side, q in zip(here["asset"], here["leg"], here["side"], here["qty"], strict=True)}
        want = signed(plan.orders)
        assert got.keys() == want.keys(), f"bar {j}"
        for key, amount in want.items():
            assert got[key] == pytest.approx(amount, rel=1e-9), f"bar {j} {key}"
        # reductions first in both
        assert [o.leg for o in plan.orders] == sorted((o.leg for o in plan.orders), key=lambda leg: leg != "reduce")
        compared += len(want)
        dropped += len(plan.dropped)
    assert compared > 50 and dropped > 50  # both orders and min-cost / lot drops were compared


def test_plan_rebalance_is_the_desks_arithmetic_on_one_book():
    symbols = list(SYMBOLS.values())
    weights = np.array([0.5, -0.2, 0.0])
    holdings = np.array([0.1234, 0.05, 0.0004])
    prices = np.array([28_000.0, 27_950.5, 28_010.0])
    equity = 10_000.0
    steps = np.full(3, STEP)
    reduce, increase = plan_rebalance(weights, equity, prices, holdings, steps, np.zeros(3), np.full(3, np.inf),
                                      np.full(3, MIN_COST))
    targets = target_quantities(dict(zip(symbols, weights.tolist(), strict=True)), equity,
                                dict(zip(symbols, prices.tolist(), strict=True)))
    plan = plan_orders("bt", targets, dict(zip(symbols, holdings.tolist(), strict=True)), {},
                       dict(zip(symbols, prices.tolist(), strict=True)), desk_markets())
    want = signed(plan.orders)
    got = {(s, leg): v for s, r, a in zip(symbols, reduce, increase, strict=True)
           for leg, v in (("reduce", r), ("increase", a)) if v != 0}
    assert got.keys() == want.keys() == {("BTC/USDT", "increase"), ("BTC/USDC", "reduce"), ("BTC/USDC", "increase")}
    for key, amount in want.items():
        assert got[key] == pytest.approx(amount, rel=1e-12)
    assert [d.reason for d in plan.dropped] == ["amount rounds to 0 at the amount precision 0.001"]
    assert want[("BTC/USDC", "increase")] == pytest.approx(-float(Decimal("0.071")))
