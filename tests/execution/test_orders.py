"""Client order ids: deterministic, short, venue-safe; intents check their fields."""
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from include.execution.errors import OrderError
from include.execution.orders import OrderIntent, client_order_id, make_order


def test_same_fields_same_id_and_any_field_changes_it():
    base = client_order_id("run-1", "BTC/USDT", "buy", "increase")
    assert base == client_order_id("run-1", "BTC/USDT", "buy", "increase")
    others = {client_order_id("run-2", "BTC/USDT", "buy", "increase"),
              client_order_id("run-1", "ETH/USDT", "buy", "increase"),
              client_order_id("run-1", "BTC/USDT", "sell", "increase"),
              client_order_id("run-1", "BTC/USDT", "buy", "reduce")}
    assert base not in others and len(others) == 4


def test_id_is_stable_across_processes():
    # hash() is salted per process; the id must not be.
    code = "from include.execution.orders import client_order_id; print(client_order_id('r', 'BTC/USDT', 'buy', 'm'))"
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."}).stdout.strip() for seed in ("1", "2")}
    assert outputs == {client_order_id("r", "BTC/USDT", "buy", "m")}


@pytest.mark.parametrize("max_length", [19, 32, 36])
def test_id_fits_the_venue_limit_and_alphabet(max_length):
    cid = client_order_id("manual__2024-01-01T00:00:00+00:00", "BTC/USDT:USDT", "sell", "reduce",
                          max_length=max_length)
    assert len(cid) == max_length
    assert re.fullmatch(r"[A-Za-z0-9]+", cid)  # OKX's clOrdId alphabet, the strictest


def test_too_short_a_limit_and_a_bad_prefix_are_refused():
    with pytest.raises(OrderError, match="max_length 10 leaves 8 hash characters"):
        client_order_id("r", "BTC/USDT", "buy", "m", max_length=10)
    with pytest.raises(OrderError, match="prefix 'p t' is invalid"):
        client_order_id("r", "BTC/USDT", "buy", "m", prefix="p t")


def test_intent_fields_are_checked_and_amounts_become_decimals():
    order = make_order("r", "BTC/USDT", "buy", 0.1, arrival_price="100.5")
    assert order.amount == Decimal("0.1") and order.notional == Decimal("10.05")
    assert order.signed_amount == Decimal("0.1")
    with pytest.raises(OrderError, match=r"order x \(BTC/USDT\): side 'hold' is invalid; valid: buy, sell"):
        OrderIntent("x", "BTC/USDT", "hold", "market", 1)
    with pytest.raises(OrderError, match="amount -1 is invalid"):
        OrderIntent("x", "BTC/USDT", "buy", "market", -1)
    with pytest.raises(OrderError, match="a limit order needs limit_price"):
        OrderIntent("x", "BTC/USDT", "buy", "limit", 1)
    with pytest.raises(OrderError, match="amount = 'abc' is not a number"):
        OrderIntent("x", "BTC/USDT", "buy", "market", "abc")
