"""Pre-trade risk rules: small, stackable, separately tested (freqtrade's protections are the model).

check_orders runs each order through the rules in the order given; a rule returns
the order (possibly resized) or a Rejection naming itself and why. Accepted orders
update the running positions and turnover the next order is checked against, so
a batch cannot exceed a limit that each order alone would respect.

A risk-reducing order (it shrinks |position| without crossing zero) is never
blocked by the weight or turnover rules, and its size is never cut: getting out
must not wait on a limit meant for getting in. The kill switch halts everything;
breaker level 3 halts every risk-increasing order (flatten_all and liquidations still close).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from include.backtest.breaker import HALT_LEVEL
from include.backtest.config import Breaker
from include.execution.markets import Markets
from include.execution.orders import OrderIntent, as_decimal


@dataclass(frozen=True)
class Rejection:
    client_order_id: str
    symbol: str
    rule: str
    reason: str


@dataclass
class RiskState:
    """What the rules see: equity and prices (quote), signed base positions, notional traded today (UTC)."""

    equity: Decimal
    prices: Mapping[str, Decimal]
    positions: dict[str, Decimal] = field(default_factory=dict)
    traded_today: Decimal = Decimal(0)

    def __post_init__(self):
        self.equity = as_decimal(self.equity, "equity")
        self.prices = {s: as_decimal(p, f"price of {s}") for s, p in self.prices.items()}
        self.positions = {s: as_decimal(q, f"position in {s}") for s, q in self.positions.items()}
        self.traded_today = as_decimal(self.traded_today, "traded_today")

    def position(self, symbol: str) -> Decimal:
        return self.positions.get(symbol, Decimal(0))

    def price(self, order: OrderIntent) -> Decimal:
        if order.limit_price is not None:
            return order.limit_price
        if order.arrival_price is not None:
            return order.arrival_price
        return self.prices[order.symbol]

    def notional(self, order: OrderIntent) -> Decimal:
        return order.amount * self.price(order)

    def reduces_risk(self, order: OrderIntent) -> bool:
        held = self.position(order.symbol)
        return held != 0 and (order.side == "sell") == (held > 0) and order.amount <= abs(held)

    def apply(self, order: OrderIntent) -> None:
        self.positions[order.symbol] = self.position(order.symbol) + order.signed_amount
        self.traded_today += self.notional(order)


class RiskRule:
    name = "rule"

    def check(self, order: OrderIntent, state: RiskState) -> OrderIntent | Rejection:
        raise NotImplementedError

    def reject(self, order: OrderIntent, reason: str) -> Rejection:
        return Rejection(order.client_order_id, order.symbol, self.name, reason)


@dataclass
class KillSwitch(RiskRule):
    """Halts every order while engaged(); a switch that cannot be read counts as engaged (fail closed)."""

    engaged: Callable[[], bool]
    name: str = "kill_switch"

    def check(self, order, state):
        try:
            on = bool(self.engaged())
        except Exception as exc:  # the lookup is injected: whatever breaks it, do not trade
            return self.reject(order, f"the kill switch could not be read ({type(exc).__name__}); trading halted")
        return self.reject(order, "the kill switch is engaged") if on else order


@dataclass
class CircuitBreaker(RiskRule):
    """Drawdown breaker level (include/execution/breaker.py): 3 halts, 2 halves; both touch only
    risk-increasing orders, so a position can always be closed."""

    level: int | Callable[[], int]
    markets: Markets | None = None   # re-truncates a halved amount to the market's step
    scale: Decimal = Decimal(str(Breaker().halve_scale))  # the backtester's level-2 multiplier
    name: str = "circuit_breaker"

    def check(self, order, state):
        level = self.level() if callable(self.level) else self.level
        if level >= HALT_LEVEL and not state.reduces_risk(order):
            return self.reject(order, f"circuit breaker at level {level}: trading halted (risk-reducing orders only)")
        if level == HALT_LEVEL - 1 and not state.reduces_risk(order):
            amount = order.amount * self.scale
            if self.markets is not None:
                amount = self.markets.amount(order.symbol, amount)
            if amount <= 0:
                return self.reject(order, f"circuit breaker at level 2 halves {order.amount} to below one step")
            return dataclasses.replace(order, amount=amount)
        return order


@dataclass
class MaxOrderNotional(RiskRule):
    """No single order above `limit` quote (a fat-finger check: applies to every order)."""

    limit: Decimal
    name: str = "max_order_notional"

    def check(self, order, state):
        notional = state.notional(order)
        if notional > as_decimal(self.limit, self.name):
            return self.reject(order, f"notional {notional} exceeds the maximum order notional {self.limit}")
        return order


@dataclass
class MaxPositionWeight(RiskRule):
    """|position after the order| x price / equity at most max_weight (risk-increasing orders only)."""

    max_weight: Decimal
    name: str = "max_position_weight"

    def check(self, order, state):
        if state.reduces_risk(order):
            return order
        after = abs(state.position(order.symbol) + order.signed_amount) * state.price(order)
        weight = after / state.equity if state.equity > 0 else Decimal("Infinity")
        if weight > as_decimal(self.max_weight, self.name):
            return self.reject(order, f"position weight after the order {weight:.4f} exceeds {self.max_weight}")
        return order


@dataclass
class MaxDailyTurnover(RiskRule):
    """Notional traded today (UTC) / equity at most max_fraction (risk-increasing orders only; all count)."""

    max_fraction: Decimal
    name: str = "max_daily_turnover"

    def check(self, order, state):
        if state.reduces_risk(order):
            return order
        turnover = (state.traded_today + state.notional(order)) / state.equity if state.equity > 0 \
            else Decimal("Infinity")
        if turnover > as_decimal(self.max_fraction, self.name):
            return self.reject(order, f"daily turnover with the order {turnover:.4f} exceeds {self.max_fraction}")
        return order


@dataclass
class MinNotional(RiskRule):
    """No order below min_cost quote (also catches orders a breaker halved below the venue's minimum)."""

    min_cost: Decimal
    name: str = "min_notional"

    def check(self, order, state):
        notional = state.notional(order)
        if notional < as_decimal(self.min_cost, self.name):
            return self.reject(order, f"notional {notional} is below the minimum notional {self.min_cost}")
        return order


@dataclass(frozen=True)
class RiskResult:
    accepted: tuple[OrderIntent, ...]
    rejected: tuple[Rejection, ...]


def check_orders(orders: Iterable[OrderIntent], state: RiskState, rules: Sequence[RiskRule]) -> RiskResult:
    """Run each order through every rule in turn; the first rejection stops that order."""
    accepted, rejected = [], []
    for order in orders:
        outcome: OrderIntent | Rejection = order
        for rule in rules:
            outcome = rule.check(outcome, state)
            if isinstance(outcome, Rejection):
                rejected.append(outcome)
                break
        else:
            accepted.append(outcome)
            state.apply(outcome)
    return RiskResult(tuple(accepted), tuple(rejected))
