"""Each pre-trade rule alone, then stacked; risk-reducing orders pass weight and turnover rules."""
from decimal import Decimal as D

import pytest

from include.execution.orders import make_order
from include.execution.risk_rules import (
    CircuitBreaker, KillSwitch, MaxDailyTurnover, MaxOrderNotional, MaxPositionWeight, MinNotional, Rejection,
    RiskState, check_orders,
)
from tests.execution.support import markets


def order(side, amount, symbol="BTC/USDT", price=100, leg="main"):
    return make_order("run", symbol, side, amount, arrival_price=price, leg=leg)


def state(position=0, traded=0, equity=10_000):
    return RiskState(equity=equity, prices={"BTC/USDT": 100}, positions={"BTC/USDT": position}, traded_today=traded)


def test_kill_switch_halts_everything_and_fails_closed():
    assert KillSwitch(lambda: False).check(order("buy", 1), state()) == order("buy", 1)
    stop = KillSwitch(lambda: True).check(order("sell", 1), state(position=5))
    assert stop == Rejection(order("sell", 1).client_order_id, "BTC/USDT", "kill_switch", "the kill switch is engaged")

    def broken():
        raise ConnectionError("metadata db down")
    assert "could not be read (ConnectionError)" in KillSwitch(broken).check(order("buy", 1), state()).reason


def test_circuit_breaker_levels():
    buy = order("buy", "0.003")
    assert CircuitBreaker(1).check(buy, state()) == buy
    halved = CircuitBreaker(2, markets()).check(buy, state())
    assert halved.amount == D("0.001") and halved.client_order_id == buy.client_order_id  # 0.0015 truncated
    assert CircuitBreaker(2).check(order("sell", 2), state(position=5)).amount == D(2)   # reducing: untouched
    assert CircuitBreaker(2, markets()).check(order("buy", "0.001"), state()).reason == \
        "circuit breaker at level 2 halves 0.001 to below one step"
    assert CircuitBreaker(lambda: 3).check(buy, state()).reason == \
        "circuit breaker at level 3: trading halted (risk-reducing orders only)"
    assert CircuitBreaker(lambda: 3).check(order("sell", 2), state(position=5)) == order("sell", 2)  # closing: allowed
    assert CircuitBreaker(3).check(order("sell", 6), state(position=5)).rule == "circuit_breaker"  # flips: blocked


def test_max_order_notional_applies_to_every_order():
    rule = MaxOrderNotional(D(1000))
    assert rule.check(order("buy", 10), state()) == order("buy", 10)
    assert rule.check(order("sell", 11), state(position=20)).reason == \
        "notional 1100 exceeds the maximum order notional 1000"


def test_max_position_weight_blocks_increases_only():
    rule = MaxPositionWeight(D("0.5"))
    assert rule.check(order("buy", 50), state()) == order("buy", 50)
    assert rule.check(order("buy", 51), state()).reason == "position weight after the order 0.5100 exceeds 0.5"
    assert rule.check(order("sell", 10), state(position=90)) == order("sell", 10)    # 0.9 -> 0.8: reducing
    assert rule.check(order("sell", 140), state(position=-10)).rule == "max_position_weight"  # a bigger short


def test_max_daily_turnover_counts_all_but_blocks_increases_only():
    rule = MaxDailyTurnover(D(1))
    assert rule.check(order("buy", 10), state(traded=9_000)) == order("buy", 10)
    assert rule.check(order("buy", 11), state(traded=9_000)).reason == \
        "daily turnover with the order 1.0100 exceeds 1"
    assert rule.check(order("sell", 50), state(position=60, traded=20_000)) == order("sell", 50)


def test_min_notional():
    assert MinNotional(D(5)).check(order("buy", "0.04"), state()).reason == \
        "notional 4.00 is below the minimum notional 5"
    assert MinNotional(D(5)).check(order("buy", "0.05"), state()) == order("buy", "0.05")


def test_stacked_rules_see_the_batch_so_far():
    rules = [KillSwitch(lambda: False), CircuitBreaker(0), MaxOrderNotional(D(10_000)),
             MaxPositionWeight(D("0.6")), MaxDailyTurnover(D(2)), MinNotional(D(5))]
    batch = [order("sell", 80, leg="reduce"), order("buy", 40, leg="a"), order("buy", 30, leg="b")]
    result = check_orders(batch, state(position=100, traded=5_000), rules)
    # the sale takes the position to 20 (not blocked though turnover is then 1.3); +40 -> 60 = weight 0.6 ok;
    # +30 would be 90 = 0.9 > 0.6
    assert [o.leg for o in result.accepted] == ["reduce", "a"]
    (rejection,) = result.rejected
    assert (rejection.rule, rejection.client_order_id) == ("max_position_weight", batch[2].client_order_id)


@pytest.mark.parametrize("level", [2])
def test_breaker_then_min_notional_drops_a_halved_order(level):
    result = check_orders([order("buy", "0.08")], state(), [CircuitBreaker(level), MinNotional(D(5))])
    assert result.accepted == () and result.rejected[0].rule == "min_notional"
