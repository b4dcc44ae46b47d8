"""A paper venue behind the broker interface, filling with the backtester's own cost formulas.

It keeps its own state like a venue (balances, orders, trades), so reconciliation can
be tested against it. Prices come from the latest validated candle per symbol
(set_candle): a market order fills at that candle's open moved by the slippage
fraction (include.backtest.costs.slippage_fraction of the volatility known at the
previous close) and pays the signal-order fee, exactly as the backtest fills an order
decided at the previous close (costs.fill_price, fill_fee, slippage_cost). A limit
order rests until a later candle trades through its price; it then fills at the limit
(or the better open) with no slippage and the maker fee.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import ccxt

from include.backtest.config import Costs
from include.backtest.costs import fill_fee, fill_price, slippage_cost, slippage_fraction
from include.execution.markets import Markets


@dataclass(frozen=True)
class Candle:
    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    known_std: float = math.nan  # per-bar std of returns known at the previous close (NaN: none yet)


class PaperBroker:
    def __init__(self, markets: dict, balances: dict[str, float], costs: Costs | None = None, *,
                 id: str = "paper", allow_short: bool = False):
        self.id = id
        self.rules = Markets(markets)
        self.markets = self.rules.markets
        self.costs = Costs() if costs is None else costs
        self.allow_short = allow_short
        self.balances = {c: float(v) for c, v in balances.items()}
        self.candles: dict[str, Candle] = {}
        self.orders: dict[str, dict] = {}
        self.trades: list[dict] = []
        self._next = 1

    # -- prices -------------------------------------------------------------------------------------

    def set_candle(self, symbol: str, candle: Candle) -> None:
        """The latest validated candle of symbol; resting limit orders it trades through fill now."""
        self._market(symbol)
        self.candles[symbol] = candle
        for order in list(self.orders.values()):
            if order["symbol"] == symbol and order["status"] == "open":
                self._try_limit(order, candle)

    # -- the ccxt-shaped interface --------------------------------------------------------------------

    def create_order(self, symbol, type, side, amount, price=None, params=None):
        params = dict(params or {})
        self._market(symbol)
        cid = params.get("clientOrderId")
        if cid is not None and any(o["clientOrderId"] == cid for o in self.orders.values()):
            raise ccxt.InvalidOrder(f"{self.id} duplicate clientOrderId {cid}")
        if side not in ("buy", "sell") or type not in ("market", "limit"):
            raise ccxt.InvalidOrder(f"{self.id} order type {type!r} / side {side!r} not supported")
        amount = float(self.rules.amount(symbol, amount))
        if type == "limit":
            if price is None:
                raise ccxt.InvalidOrder(f"{self.id} a limit order needs a price")
            price = float(self.rules.price(symbol, price))
        candle = self._candle(symbol)
        problem = self.rules.violations(symbol, self.rules.amount(symbol, amount),
                                        self.rules.price(symbol, price or candle.open))
        if problem:
            raise ccxt.InvalidOrder(f"{self.id} {symbol}: {problem}")
        order_id = str(self._next)
        self._next += 1
        order = {"id": order_id, "clientOrderId": cid or f"paper-{order_id}", "timestamp": candle.ts_ms,
                 "datetime": None, "lastTradeTimestamp": None, "symbol": symbol, "type": type, "side": side,
                 "price": price, "average": None, "amount": amount, "filled": 0.0, "remaining": amount,
                 "cost": 0.0, "status": "open", "fee": {"cost": 0.0, "currency": self._quote(symbol)},
                 "trades": [], "info": {}}
        if type == "market":
            slip = slippage_fraction(self.costs, candle.known_std)
            self._check_funds(order, candle.open * (1 + slip), self.costs.signal_fee)
            self._fill(order, candle.open, slip, self.costs.signal_fee, candle.ts_ms, "taker")
        else:
            self._check_funds(order, price, self.costs.maker_bps / 1e4)
        self.orders[order_id] = order
        return self._copy(order)

    def fetch_order(self, id, symbol=None, params=None):
        return self._copy(self._find(id, (params or {}).get("clientOrderId")))

    def fetch_open_orders(self, symbol=None, since=None, limit=None, params=None):
        found = [self._copy(o) for o in self.orders.values()
                 if o["status"] == "open" and (symbol is None or o["symbol"] == symbol)]
        return found[:limit] if limit else found

    def cancel_order(self, id, symbol=None, params=None):
        order = self._find(id, (params or {}).get("clientOrderId"))
        if order["status"] != "open":
            raise ccxt.OrderNotFound(f"{self.id} order {order['id']} is {order['status']}, not open")
        order["status"] = "canceled"
        return self._copy(order)

    def fetch_my_trades(self, symbol=None, since=None, limit=None, params=None):
        found = [dict(t) for t in self.trades if (symbol is None or t["symbol"] == symbol)
                 and (since is None or t["timestamp"] >= since)]
        return found[:limit] if limit else found

    def fetch_balance(self, params=None):
        used: dict[str, float] = {}
        for o in self.orders.values():
            if o["status"] == "open":
                base, quote = self.rules.base_quote(o["symbol"])
                if o["side"] == "buy":
                    used[quote] = used.get(quote, 0.0) + o["remaining"] * o["price"]
                else:
                    used[base] = used.get(base, 0.0) + o["remaining"]
        out = {"free": {}, "used": {}, "total": {}, "info": {}}
        for currency, total in self.balances.items():
            u = used.get(currency, 0.0)
            out[currency] = {"free": total - u, "used": u, "total": total}
            out["free"][currency], out["used"][currency], out["total"][currency] = total - u, u, total
        return out

    # -- the venue's insides ------------------------------------------------------------------------

    def _market(self, symbol):
        if symbol not in self.markets:
            raise ccxt.BadSymbol(f"{self.id} does not have market symbol {symbol}")
        return self.markets[symbol]

    def _quote(self, symbol):
        return self.rules.base_quote(symbol)[1]

    def _candle(self, symbol) -> Candle:
        if symbol not in self.candles:
            raise ccxt.ExchangeNotAvailable(f"{self.id} has no price for {symbol} yet: call set_candle first")
        return self.candles[symbol]

    def _find(self, id, client_order_id) -> dict:
        if id is not None and str(id) in self.orders:
            return self.orders[str(id)]
        for order in self.orders.values():
            if client_order_id is not None and order["clientOrderId"] == client_order_id:
                return order
        raise ccxt.OrderNotFound(f"{self.id} order {id or client_order_id} not found")

    def _check_funds(self, order, price, fee_rate):
        base, quote = self.rules.base_quote(order["symbol"])
        free = self.fetch_balance()["free"]
        if order["side"] == "buy":
            need = order["amount"] * price * (1 + fee_rate)
            if free.get(quote, 0.0) < need:
                raise ccxt.InsufficientFunds(f"{self.id} needs {need} {quote}, has {free.get(quote, 0.0)}")
        elif not self.allow_short and free.get(base, 0.0) < order["amount"]:
            raise ccxt.InsufficientFunds(f"{self.id} needs {order['amount']} {base}, has {free.get(base, 0.0)}")

    def _try_limit(self, order, candle: Candle):
        limit = order["price"]
        if order["side"] == "buy" and candle.low <= limit:
            self._fill(order, min(candle.open, limit), 0.0, self.costs.maker_bps / 1e4, candle.ts_ms, "maker")
        elif order["side"] == "sell" and candle.high >= limit:
            self._fill(order, max(candle.open, limit), 0.0, self.costs.maker_bps / 1e4, candle.ts_ms, "maker")

    def _fill(self, order, ref, slip, fee_rate, ts_ms, taker_or_maker):
        """Fill the whole remainder with the backtester's formulas; move the balances."""
        units = order["remaining"]
        buying = order["side"] == "buy"
        price = fill_price(ref, slip, buying)
        fee = fill_fee(fee_rate, units, price)
        base, quote = self.rules.base_quote(order["symbol"])
        sign = 1.0 if buying else -1.0
        self.balances[base] = self.balances.get(base, 0.0) + sign * units
        self.balances[quote] = self.balances.get(quote, 0.0) - sign * units * price - fee
        trade = {"id": f"{order['id']}-{len(order['trades']) + 1}", "order": order["id"],
                 "clientOrderId": order["clientOrderId"], "timestamp": ts_ms, "datetime": None,
                 "symbol": order["symbol"], "type": order["type"], "side": order["side"],
                 "takerOrMaker": taker_or_maker, "price": price, "amount": units, "cost": units * price,
                 "fee": {"cost": fee, "currency": quote},
                 "info": {"reference_price": ref, "slippage": slippage_cost(units, ref, slip)}}
        self.trades.append(trade)
        order["trades"].append(trade)
        order["filled"] += units
        order["remaining"] = 0.0
        order["cost"] += units * price
        order["average"] = order["cost"] / order["filled"]
        order["fee"]["cost"] += fee
        order["lastTradeTimestamp"] = ts_ms
        order["status"] = "closed"

    @staticmethod
    def _copy(order: dict) -> dict:
        out = dict(order)
        out["trades"] = [dict(t) for t in order["trades"]]
        out["fee"] = dict(order["fee"])
        return out
