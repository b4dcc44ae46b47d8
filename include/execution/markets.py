"""A venue's market rules (ccxt's unified market structure) and ccxt's own rounding.

Amounts are truncated and prices rounded by ccxt's Exchange.amount_to_precision /
price_to_precision over the same market dicts a ccxt exchange loads, so the paper
path and the live path round identically. ccxt does not check the minimum cost
(limits.cost.min); violations() does.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import ccxt
from ccxt.base.decimal_to_precision import TICK_SIZE

from include.backtest import rebalance
from include.errors import closest
from include.execution.errors import OrderError
from include.execution.orders import as_decimal


def spot_market(symbol: str, *, amount_step: float, price_tick: float, min_amount: float | None = None,
                min_cost: float | None = None, max_amount: float | None = None) -> dict:
    """A ccxt-shaped spot market (TICK_SIZE precision): for the paper venue and tests."""
    base, quote = symbol.split("/")
    return {"id": base + quote, "symbol": symbol, "base": base, "quote": quote, "baseId": base, "quoteId": quote,
            "type": "spot", "spot": True, "active": True, "precision": {"amount": amount_step, "price": price_tick},
            "limits": {"amount": {"min": min_amount, "max": max_amount}, "price": {"min": None, "max": None},
                       "cost": {"min": min_cost, "max": None}}}


class Markets:
    """Markets by symbol, with ccxt's rounding. precision_mode: ccxt's TICK_SIZE (most venues) or DECIMAL_PLACES."""

    def __init__(self, markets: Mapping[str, dict], precision_mode: int = TICK_SIZE):
        self._exchange = ccxt.Exchange({"precisionMode": precision_mode})
        self._exchange.set_markets(dict(markets))
        self.markets = self._exchange.markets

    def market(self, symbol: str) -> dict:
        if symbol not in self.markets:
            raise OrderError(f"symbol {symbol!r} is not a market of this venue; {closest(symbol, self.markets)}")
        return self.markets[symbol]

    def base_quote(self, symbol: str) -> tuple[str, str]:
        market = self.market(symbol)
        return market["base"], market["quote"]

    def amount(self, symbol: str, amount) -> Decimal:
        """amount truncated to the market's amount precision (0 when less than one step)."""
        self.market(symbol)
        try:
            return Decimal(self._exchange.amount_to_precision(symbol, str(as_decimal(amount, f"{symbol} amount"))))
        except ccxt.InvalidOrder:  # ccxt refuses an amount that truncates to zero
            return Decimal(0)

    def price(self, symbol: str, price) -> Decimal:
        """price rounded to the market's price precision."""
        self.market(symbol)
        return Decimal(self._exchange.price_to_precision(symbol, str(as_decimal(price, f"{symbol} price"))))

    def violations(self, symbol: str, amount: Decimal, price: Decimal) -> str | None:
        """Why the venue would refuse amount at price (amount limits, minimum cost), or None."""
        limits = self.market(symbol).get("limits") or {}
        lo = (limits.get("amount") or {}).get("min")
        hi = (limits.get("amount") or {}).get("max")
        min_cost = (limits.get("cost") or {}).get("min")
        code = rebalance.refusal(amount, price, as_decimal(0 if lo is None else lo, "limits.amount.min"),
                                 Decimal("Infinity") if hi is None else as_decimal(hi, "limits.amount.max"),
                                 as_decimal(0 if min_cost is None else min_cost, "limits.cost.min"))
        if code == rebalance.ROUNDS_TO_ZERO:
            return f"amount rounds to 0 at the amount precision {self.market(symbol)['precision']['amount']}"
        if code == rebalance.BELOW_MIN_AMOUNT:
            return f"amount {amount} is below the venue's minimum amount {lo}"
        if code == rebalance.ABOVE_MAX_AMOUNT:
            return f"amount {amount} is above the venue's maximum amount {hi}"
        if code == rebalance.BELOW_MIN_COST:
            return f"notional {amount * price} is below the venue's minimum cost {min_cost}"
        return None
