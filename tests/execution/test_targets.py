"""Orders from targets: target - holdings - open orders, reductions first, venue rounding and minimums."""
from decimal import Decimal as D

import pytest

from include.execution.errors import OrderError
from include.execution.orders import client_order_id
from include.execution.targets import legs, open_quantities, plan_orders, target_quantities
from tests.execution.support import markets

PRICES = {"BTC/USDT": 50_000, "ETH/USDT": 2_500, "SOL/USDT": 100}


def plan(targets, holdings=None, open_orders=None, **kw):
    return plan_orders("run-1", targets, holdings or {}, open_orders or {}, PRICES, markets(), **kw)


def test_order_is_target_minus_holdings_minus_open_orders():
    result = plan({"BTC/USDT": "0.5"}, {"BTC/USDT": "0.2"}, {"BTC/USDT": "0.1"})
    (order,) = result.orders
    assert (order.side, order.amount, order.leg) == ("buy", D("0.2"), "increase")
    assert order.arrival_price == D(50_000)
    assert order.client_order_id == client_order_id("run-1", "BTC/USDT", "buy", "increase")


def test_a_rerun_with_the_orders_open_orders_nothing():
    first = plan({"BTC/USDT": "0.5", "ETH/USDT": "2"})
    pending = open_quantities([{"symbol": o.symbol, "side": o.side, "remaining": o.amount} for o in first.orders])
    assert plan({"BTC/USDT": "0.5", "ETH/USDT": "2"}, open_orders=pending).orders == ()


def test_reductions_come_first_and_a_flip_splits_in_two_legs():
    result = plan({"BTC/USDT": "0.3", "ETH/USDT": "-1", "SOL/USDT": "5"},
                  {"BTC/USDT": "0.1", "ETH/USDT": "2", "SOL/USDT": "10"})
    got = [(o.symbol, o.side, o.amount, o.leg) for o in result.orders]
    assert got == [("ETH/USDT", "sell", D("2"), "reduce"), ("SOL/USDT", "sell", D("5.0"), "reduce"),
                   ("BTC/USDT", "buy", D("0.2"), "increase"), ("ETH/USDT", "sell", D("1"), "increase")]
    assert len({o.client_order_id for o in result.orders}) == 4


def test_amounts_truncate_to_the_step_with_ccxt():
    (order,) = plan({"BTC/USDT": "0.12345"}).orders
    assert order.amount == D("0.123")


def test_below_minimums_are_dropped_with_the_reason():
    result = plan({"BTC/USDT": "0.0009", "ETH/USDT": "0.001", "SOL/USDT": "0.09"}, {"SOL/USDT": 0})
    assert result.orders == ()
    reasons = {d.symbol: d.reason for d in result.dropped}
    assert reasons["BTC/USDT"] == "amount rounds to 0 at the amount precision 0.001"
    assert reasons["ETH/USDT"] == "amount rounds to 0 at the amount precision 0.01"
    # 0.1 SOL at 50 is one whole step but only 5 USDT: the min-cost check is ours (ccxt does not make it)
    result = plan_orders("r", {"SOL/USDT": "0.1"}, {}, {}, {"SOL/USDT": 50}, markets())
    (dropped,) = result.dropped
    assert dropped.reason == "notional 5.0 is below the venue's minimum cost 10"


def test_limit_prices_round_to_the_tick():
    (order,) = plan({"ETH/USDT": 1}, order_type="limit", limit_prices={"ETH/USDT": 2499.996}).orders
    assert order.type == "limit" and order.limit_price == D("2500.00")
    with pytest.raises(OrderError, match="limit orders need a limit price for ETH/USDT"):
        plan({"ETH/USDT": 1}, order_type="limit")


def test_weights_to_quantities_and_bad_input():
    assert target_quantities({"BTC/USDT": 0.5}, 10_000, PRICES) == {"BTC/USDT": D("0.1")}
    with pytest.raises(OrderError, match="no price for DOGE/USDT"):
        target_quantities({"DOGE/USDT": 0.5}, 10_000, PRICES)
    with pytest.raises(OrderError, match="symbol 'BTC/USD' is not a market of this venue; did you mean BTC/USDT"):
        plan_orders("r", {"BTC/USD": 1}, {}, {}, {"BTC/USD": 1}, markets())


def test_legs():
    assert legs(D(0), D(0)) == []
    assert legs(D(-1), D(2)) == [("reduce", "sell", D(2)), ("increase", "sell", D(1))]
    assert legs(D(-1), D(-3)) == [("reduce", "buy", D(2))]
    assert legs(D(1), D(-3)) == [("reduce", "buy", D(3)), ("increase", "buy", D(1))]
