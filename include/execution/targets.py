"""Target-based orders (QuantConnect LEAN's model): order = target - holdings - open orders.

Counting open orders as if filled makes a re-run idempotent: a rebalance that already
sent its orders finds nothing left to order. A change of sign is split in two legs,
`reduce` (to flat) and `increase` (the new side), so the risk-reducing half never
waits on a risk rule meant for the other. Reductions come first. Every amount is
truncated by ccxt to the market's precision; an order the venue would refuse (below
the minimum amount or cost) is dropped with its reason. The arithmetic (weights to
quantities, the legs, the venue's refusals) is include/backtest/rebalance.py's, the same
the portfolio backtest orders with.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from include.backtest.rebalance import split_legs, target_quantity
from include.execution.errors import OrderError
from include.execution.markets import Markets
from include.execution.orders import DEFAULT_ID_LENGTH, OrderIntent, as_decimal, make_order

REDUCE, INCREASE = "reduce", "increase"


@dataclass(frozen=True)
class DroppedOrder:
    symbol: str
    side: str
    amount: Decimal
    leg: str
    reason: str


@dataclass(frozen=True)
class OrderPlan:
    orders: tuple[OrderIntent, ...]
    dropped: tuple[DroppedOrder, ...]


def target_quantities(weights: Mapping[str, float], equity, prices: Mapping[str, float]) -> dict[str, Decimal]:
    """Weights of equity -> base quantities at the given prices (unrounded)."""
    equity = as_decimal(equity, "equity")
    return {s: target_quantity(as_decimal(w, f"weight of {s}"), equity, _price(prices, s)) for s, w in weights.items()}


def open_quantities(open_orders: Iterable[dict]) -> dict[str, Decimal]:
    """Signed remaining amount per symbol of ccxt-shaped open orders (buy +, sell -)."""
    out: dict[str, Decimal] = {}
    for order in open_orders:
        remaining = as_decimal(order.get("remaining", order.get("amount")), f"remaining of order {order.get('id')}")
        signed = remaining if order["side"] == "buy" else -remaining
        out[order["symbol"]] = out.get(order["symbol"], Decimal(0)) + signed
    return out


def _price(prices: Mapping[str, float], symbol: str) -> Decimal:
    if symbol not in prices:
        raise OrderError(f"no price for {symbol}: pass a price for every target symbol")
    price = as_decimal(prices[symbol], f"price of {symbol}")
    if price <= 0:
        raise OrderError(f"price of {symbol} is {price}; valid: a number > 0")
    return price


def legs(target: Decimal, current: Decimal) -> list[tuple[str, str, Decimal]]:
    """(leg, side, amount) moving current to target; a sign change gives a reduce and an increase leg."""
    delta = target - current
    if delta == 0:
        return []
    side = "buy" if delta > 0 else "sell"
    reduce, increase = split_legs(target, current)
    return [(leg, side, abs(amount)) for leg, amount in ((REDUCE, reduce), (INCREASE, increase)) if amount != 0]


def plan_orders(run_id: str, targets: Mapping[str, float], holdings: Mapping[str, float],
                open_orders: Mapping[str, float], prices: Mapping[str, float], markets: Markets, *,
                order_type: str = "market", limit_prices: Mapping[str, float] | None = None,
                reason: str = "rebalance", id_length: int = DEFAULT_ID_LENGTH) -> OrderPlan:
    """Orders that move holdings + open orders to the targets (base quantities), reductions first.

    Symbols absent from targets are left alone (a target of 0 closes a position).
    """
    orders: list[OrderIntent] = []
    dropped: list[DroppedOrder] = []
    for symbol in sorted(targets):
        markets.market(symbol)
        price = _price(prices, symbol)
        current = (as_decimal(holdings.get(symbol, 0), f"holding of {symbol}")
                   + as_decimal(open_orders.get(symbol, 0), f"open orders of {symbol}"))
        for leg, side, raw in legs(as_decimal(targets[symbol], f"target of {symbol}"), current):
            amount = markets.amount(symbol, raw)
            limit = None
            if order_type == "limit":
                if not limit_prices or symbol not in limit_prices:
                    raise OrderError(f"limit orders need a limit price for {symbol}: pass limit_prices[{symbol!r}]")
                limit = markets.price(symbol, limit_prices[symbol])
            why_not = markets.violations(symbol, amount, limit or price)
            if why_not:
                dropped.append(DroppedOrder(symbol, side, raw, leg, why_not))
                continue
            orders.append(make_order(run_id, symbol, side, amount, leg=leg, type=order_type, limit_price=limit,
                                     arrival_price=price, reason=reason, id_length=id_length))
    orders.sort(key=lambda o: o.leg != REDUCE)  # stable: reductions first, then by symbol
    return OrderPlan(tuple(orders), tuple(dropped))
