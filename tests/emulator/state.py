"""The emulated venue: balances (free/locked), orders, the matching of market and limit orders, trades.

Not thread-safe by itself: the Emulator handle holds one lock around every call.
Money is Decimal throughout; the wire format (8-decimal strings, Binance field names) is made here
because the venue's answers are its state as Binance shows it.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tests.emulator import errors
from tests.emulator.faults import Fault
from tests.emulator.markets import MarketSpec

COMMISSION_RATE = Decimal("0.001")   # 0.1% in the asset received, as Binance charges without BNB
COMMISSION_QUANTUM = Decimal("0.00000001")
OPEN = ("NEW", "PARTIALLY_FILLED")
CLIENT_ORDER_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def now_ms() -> int:
    return int(time.time() * 1000)


def fmt(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.8f}"


@dataclass
class Order:
    order_id: int
    client_order_id: str
    market: MarketSpec
    side: str                     # BUY / SELL
    type: str                     # MARKET / LIMIT
    time_in_force: str | None
    price: Decimal | None         # limit price
    qty: Decimal
    orig_quote_qty: Decimal
    time: int
    status: str = "NEW"
    filled: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    update_time: int = 0
    partial_on_cross: Decimal | None = None   # partial_fill on a resting limit: the share of its first fill
    lag: int = 0                               # not_found_lag: queries that still miss it

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled

    def wire(self) -> dict:
        return {
            "symbol": self.market.id, "orderId": self.order_id, "orderListId": -1,
            "clientOrderId": self.client_order_id, "price": fmt(self.price), "origQty": fmt(self.qty),
            "executedQty": fmt(self.filled), "cummulativeQuoteQty": fmt(self.cost), "status": self.status,
            "timeInForce": self.time_in_force or "GTC", "type": self.type, "side": self.side,
            "stopPrice": fmt(None), "icebergQty": fmt(None), "time": self.time, "updateTime": self.update_time,
            "isWorking": True, "workingTime": self.time, "origQuoteOrderQty": fmt(self.orig_quote_qty),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    def snapshot(self) -> dict:
        return {"orderId": self.order_id, "clientOrderId": self.client_order_id, "symbol": self.market.symbol,
                "side": self.side.lower(), "type": self.type.lower(), "price": self.price, "amount": self.qty,
                "filled": self.filled, "cost": self.cost, "status": self.status, "timestamp": self.time}


@dataclass
class Trade:
    trade_id: int
    order: Order
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_maker: bool

    def wire(self) -> dict:
        return {"symbol": self.order.market.id, "id": self.trade_id, "orderId": self.order.order_id,
                "orderListId": -1, "price": fmt(self.price), "qty": fmt(self.qty),
                "quoteQty": fmt(self.price * self.qty), "commission": fmt(self.commission),
                "commissionAsset": self.commission_asset, "time": self.time,
                "isBuyer": self.order.side == "BUY", "isMaker": self.is_maker, "isBestMatch": True}

    def fill_wire(self) -> dict:
        return {"price": fmt(self.price), "qty": fmt(self.qty), "commission": fmt(self.commission),
                "commissionAsset": self.commission_asset, "tradeId": self.trade_id}

    def snapshot(self) -> dict:
        return {"tradeId": self.trade_id, "orderId": self.order.order_id,
                "clientOrderId": self.order.client_order_id, "symbol": self.order.market.symbol,
                "side": self.order.side.lower(), "price": self.price, "amount": self.qty,
                "cost": self.price * self.qty, "fee": self.commission, "feeCurrency": self.commission_asset,
                "timestamp": self.time, "maker": self.is_maker}


@dataclass
class Venue:
    markets: dict[str, MarketSpec]                      # by exchange id (BTCUSDT)
    free: dict[str, Decimal]
    prices: dict[str, Decimal]                          # by exchange id
    locked: dict[str, Decimal] = field(default_factory=dict)
    orders: list[Order] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    create_log: list[dict] = field(default_factory=list)
    opens: dict[str, Decimal] = field(default_factory=dict)
    highs: dict[str, Decimal] = field(default_factory=dict)
    lows: dict[str, Decimal] = field(default_factory=dict)
    next_order_id: int = 100001
    next_trade_id: int = 500001

    @classmethod
    def build(cls, markets: dict[str, MarketSpec], balances, prices) -> Venue:
        venue = cls(markets=markets, free={a: Decimal(str(v)) for a, v in balances.items()}, prices={})
        for symbol, price in prices.items():
            venue.set_price(symbol, price)
        return venue

    # ---- prices and matching -------------------------------------------------------------------

    def market_by_symbol(self, symbol: str) -> MarketSpec:
        for spec in self.markets.values():
            if symbol in (spec.symbol, spec.id):
                return spec
        raise ValueError(f"emulator market {symbol!r} is not listed; listed: "
                         f"{', '.join(s.symbol for s in self.markets.values())}")

    def set_price(self, symbol: str, price) -> None:
        """The market's last price (on its tick grid); resting limit orders that it crosses fill at their limit."""
        spec = self.market_by_symbol(symbol)
        price = Decimal(str(price))
        if price <= 0 or not spec.on_tick(price):
            raise ValueError(f"emulator price {price} for {spec.symbol} must be positive and on its tick "
                             f"{spec.tick_size}")
        self.prices[spec.id] = price
        self.opens.setdefault(spec.id, price)
        self.highs[spec.id] = max(self.highs.get(spec.id, price), price)
        self.lows[spec.id] = min(self.lows.get(spec.id, price), price)
        for order in [o for o in self.orders if o.market is spec and o.status in OPEN and o.type == "LIMIT"]:
            if self._crosses(order, price):
                qty = order.remaining
                if order.partial_on_cross is not None:
                    qty = self._part(order, order.partial_on_cross)
                    order.partial_on_cross = None
                self._fill(order, qty, order.price, is_maker=True)

    def price_of(self, spec: MarketSpec) -> Decimal:
        if spec.id not in self.prices:
            raise errors.VenueError(400, -1112, "No orders on book for symbol.")
        return self.prices[spec.id]

    @staticmethod
    def _crosses(order: Order, price: Decimal) -> bool:
        return price <= order.price if order.side == "BUY" else price >= order.price

    @staticmethod
    def _part(order: Order, fraction: Decimal) -> Decimal:
        """A partial quantity: at least one step, and one step short of the whole when it can be."""
        step = order.market.step_size
        part = order.market.floor_qty(order.remaining * fraction)
        if order.remaining >= 2 * step:
            part = min(max(part, step), order.remaining - step)
        return part if part > 0 else order.remaining

    def _fill(self, order: Order, qty: Decimal, price: Decimal, *, is_maker: bool, at: int | None = None) -> Trade:
        spec, quote_qty = order.market, qty * price
        if order.side == "BUY":
            if order.type == "LIMIT":
                self._take(self.locked, spec.quote, qty * order.price)
            else:
                self._take(self.free, spec.quote, quote_qty)
            commission = (qty * COMMISSION_RATE).quantize(COMMISSION_QUANTUM, ROUND_HALF_UP)
            asset, received = spec.base, qty
        else:
            self._take(self.locked if order.type == "LIMIT" else self.free, spec.base, qty)
            commission = (quote_qty * COMMISSION_RATE).quantize(COMMISSION_QUANTUM, ROUND_HALF_UP)
            asset, received = spec.quote, quote_qty
        self.free[asset] = self.free.get(asset, Decimal(0)) + received - commission
        stamp = at if at is not None else now_ms()
        trade = Trade(self.next_trade_id, order, price, qty, commission, asset, stamp, is_maker)
        self.next_trade_id += 1
        self.trades.append(trade)
        order.filled += qty
        order.cost += quote_qty
        order.update_time = stamp
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        return trade

    @staticmethod
    def _take(book: dict[str, Decimal], asset: str, amount: Decimal) -> None:
        book[asset] = book.get(asset, Decimal(0)) - amount

    def _release(self, order: Order) -> None:
        """Unlock what a limit order still holds (on cancel or expiry)."""
        if order.type != "LIMIT" or order.remaining <= 0:
            return
        asset, amount = ((order.market.quote, order.remaining * order.price) if order.side == "BUY"
                         else (order.market.base, order.remaining))
        self._take(self.locked, asset, amount)
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount

    # ---- order entry -----------------------------------------------------------------------------

    def record_unprocessed(self, params: dict, fault: str, error: errors.VenueError | None) -> None:
        """A create request the venue answered without acting on it (a fault said so)."""
        self._log(params, accepted=False, order=None, error=error, fault=fault)

    def create(self, params: dict, *, fault: str | None = None, partial: Fault | None = None,
               lag: Fault | None = None) -> dict:
        try:
            order, fills = self._create(params, partial)
        except errors.VenueError as refusal:
            self._log(params, accepted=False, order=None, error=refusal, fault=fault)
            raise
        if lag is not None:
            order.lag = lag.lag
        self._log(params, accepted=True, order=order, error=None, fault=fault)
        reply = order.wire()
        for key in ("stopPrice", "icebergQty", "time", "updateTime", "isWorking", "workingTime"):
            reply.pop(key)
        reply.update(transactTime=order.time, workingTime=order.time, fills=[t.fill_wire() for t in fills])
        return reply

    def _create(self, params: dict, partial: Fault | None) -> tuple[Order, list[Trade]]:
        spec = self._market(params)
        side = params.get("side", "")
        if side not in ("BUY", "SELL"):
            raise errors.mandatory_param("side") if not side else errors.VenueError(400, -1117, "Invalid side.")
        kind = params.get("type", "")
        if kind not in ("MARKET", "LIMIT"):
            raise errors.mandatory_param("type") if not kind else errors.VenueError(400, -1116, "Invalid orderType.")
        cid = params.get("newClientOrderId") or "web_" + secrets.token_hex(12)
        if len(cid) > 36 or not set(cid) <= CLIENT_ORDER_ID_CHARS:
            raise errors.VenueError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; "
                                                "legal range is '^[a-zA-Z0-9-_]{1,36}$'.")
        tif = params.get("timeInForce")
        quote_qty = Decimal(0)
        if kind == "LIMIT":
            price = self._number(params, "price")
            qty = self._number(params, "quantity")
            if tif is None:
                raise errors.mandatory_param("timeInForce")
            if tif not in ("GTC", "IOC", "FOK"):
                raise errors.VenueError(400, -1115, "Invalid timeInForce.")
            if price < spec.min_price or price > spec.max_price or not spec.on_tick(price):
                raise errors.filter_failure("PRICE_FILTER")
            reference = price
        else:
            if tif is not None:
                raise errors.VenueError(400, -1106, "Parameter 'timeInForce' sent when not required.")
            price, reference = None, self.price_of(spec)
            if "quantity" in params and "quoteOrderQty" in params:
                raise errors.VenueError(400, -1106, "Parameter 'quoteOrderQty' sent when not required.")
            if "quoteOrderQty" in params:
                quote_qty = self._number(params, "quoteOrderQty")
                qty = spec.floor_qty(quote_qty / reference)
            elif "quantity" in params:
                qty = self._number(params, "quantity")
            else:
                raise errors.VenueError(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, "
                                                    "but both were empty/null!")
        if qty < spec.min_qty or qty > spec.max_qty or not spec.on_step(qty):
            raise errors.filter_failure("LOT_SIZE")
        if not spec.min_notional <= qty * reference <= spec.max_notional:
            raise errors.filter_failure("NOTIONAL")
        if any(o.client_order_id == cid and o.status in OPEN for o in self.orders):
            raise errors.duplicate_order()
        pay_asset, pay = (spec.quote, qty * reference) if side == "BUY" else (spec.base, qty)
        if self.free.get(pay_asset, Decimal(0)) < pay:
            raise errors.insufficient_balance()
        stamp = now_ms()
        order = Order(self.next_order_id, cid, spec, side, kind, tif if kind == "LIMIT" else None, price, qty,
                      quote_qty, stamp, update_time=stamp)
        self.next_order_id += 1
        self.orders.append(order)
        fraction = partial.fraction if partial is not None else None
        if kind == "LIMIT":   # the price is reserved while the order rests
            self._take(self.free, pay_asset, pay)
            self.locked[pay_asset] = self.locked.get(pay_asset, Decimal(0)) + pay
        fills: list[Trade] = []
        if kind == "MARKET":
            fills.append(self._fill(order, qty if fraction is None else self._part(order, fraction),
                                    reference, is_maker=False))
            if order.remaining > 0:   # liquidity ran out: Binance expires the rest of a market order
                order.status = "EXPIRED"
        elif spec.id in self.prices and self._crosses(order, self.prices[spec.id]):
            if not (tif == "FOK" and fraction is not None):   # fill or kill: a partial fill kills it
                fills.append(self._fill(order, qty if fraction is None else self._part(order, fraction),
                                        price, is_maker=False))
        elif fraction is not None:
            order.partial_on_cross = fraction
        if tif in ("IOC", "FOK") and order.status in OPEN:
            self._release(order)
            order.status = "EXPIRED"
        return order, fills

    def _log(self, params: dict, *, accepted: bool, order: Order | None, error: errors.VenueError | None,
             fault: str | None) -> None:
        self.create_log.append({
            "clientOrderId": params.get("newClientOrderId"), "symbol": params.get("symbol"),
            "side": params.get("side"), "type": params.get("type"), "quantity": params.get("quantity"),
            "price": params.get("price"), "accepted": accepted,
            "orderId": order.order_id if order else None, "error": error.code if error else None,
            "fault": fault, "time": time.monotonic(),
        })

    # ---- queries and cancels ---------------------------------------------------------------------

    def query(self, params: dict) -> dict:
        order = self._find(params, errors.order_does_not_exist)
        if order.lag > 0:   # not_found_lag: the order book's read side has not caught up yet
            order.lag -= 1
            raise errors.order_does_not_exist()
        return order.wire()

    def cancel(self, params: dict, *, late_fill: Fault | None = None) -> dict:
        order = self._find(params, errors.unknown_order_sent)
        if order.status not in OPEN:
            raise errors.unknown_order_sent()
        before = order.wire()
        if late_fill is not None and order.remaining > 0 and order.type == "LIMIT":
            # A fill the matching engine made just before the cancel: the cancel's answer does not show it.
            self._fill(order, self._part(order, late_fill.fraction), order.price, is_maker=True, at=now_ms() - 1)
        self._release(order)
        order.status = "CANCELED"
        order.update_time = now_ms()
        reply = {key: before[key] for key in ("symbol", "orderId", "orderListId", "price", "origQty", "executedQty",
                                               "cummulativeQuoteQty", "timeInForce", "type", "side",
                                               "selfTradePreventionMode")}
        reply.update(origClientOrderId=order.client_order_id, status="CANCELED", transactTime=order.update_time,
                     clientOrderId=params.get("newClientOrderId") or "cancel_" + secrets.token_hex(10))
        return reply

    def open_orders(self, params: dict) -> list[dict]:
        spec = self._market(params) if "symbol" in params else None
        found = []
        for order in self.orders:
            if order.status not in OPEN or (spec is not None and order.market is not spec):
                continue
            if order.lag > 0:
                order.lag -= 1
                continue
            found.append(order.wire())
        return found

    def all_orders(self, params: dict) -> list[dict]:
        spec = self._market(params)
        start, end = self._int(params, "startTime"), self._int(params, "endTime")
        from_id, limit = self._int(params, "orderId"), min(self._int(params, "limit") or 500, 1000)
        chosen = [o for o in self.orders if o.market is spec and o.lag == 0
                  and (from_id is None or o.order_id >= from_id)
                  and (start is None or o.time >= start) and (end is None or o.time <= end)]
        chosen = chosen[:limit] if from_id is not None else chosen[-limit:]
        return [o.wire() for o in chosen]

    def my_trades(self, params: dict) -> list[dict]:
        spec = self._market(params)
        order_id, from_id = self._int(params, "orderId"), self._int(params, "fromId")
        start, end = self._int(params, "startTime"), self._int(params, "endTime")
        limit = min(self._int(params, "limit") or 500, 1000)
        chosen = sorted((t for t in self.trades if t.order.market is spec
                         and (order_id is None or t.order.order_id == order_id)
                         and (from_id is None or t.trade_id >= from_id)
                         and (start is None or t.time >= start) and (end is None or t.time <= end)),
                        key=lambda t: t.trade_id)
        chosen = chosen[:limit] if from_id is not None else chosen[-limit:]
        return [t.wire() for t in chosen]

    def account(self, params: dict) -> dict:
        assets = sorted(set(self.free) | set(self.locked))
        rows = [{"asset": a, "free": fmt(self.free.get(a)), "locked": fmt(self.locked.get(a))} for a in assets]
        if params.get("omitZeroBalances") == "true":
            rows = [r for r in rows if Decimal(r["free"]) or Decimal(r["locked"])]
        rate = fmt(COMMISSION_RATE)
        return {"makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
                "commissionRates": {"maker": rate, "taker": rate, "buyer": fmt(None), "seller": fmt(None)},
                "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
                "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now_ms(),
                "accountType": "SPOT", "balances": rows, "permissions": ["SPOT"], "uid": 354937868}

    # ---- public data -----------------------------------------------------------------------------

    def exchange_info(self, params: dict) -> dict:
        specs = [self.markets[i] for i in self._symbol_list(params)] if self._symbol_list(params) else \
            list(self.markets.values())
        return {"timezone": "UTC", "serverTime": now_ms(),
                "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                "limit": 6000},
                               {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
                               {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000}],
                "exchangeFilters": [], "symbols": [self._symbol_info(s) for s in specs]}

    @staticmethod
    def _symbol_info(spec: MarketSpec) -> dict:
        return {
            "symbol": spec.id, "status": "TRADING", "baseAsset": spec.base, "baseAssetPrecision": 8,
            "quoteAsset": spec.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8, "orderTypes": ["LIMIT", "MARKET"],
            "icebergAllowed": False, "ocoAllowed": False, "otoAllowed": False, "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False, "cancelReplaceAllowed": False, "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": fmt(spec.min_price), "maxPrice": fmt(spec.max_price),
                 "tickSize": fmt(spec.tick_size)},
                {"filterType": "LOT_SIZE", "minQty": fmt(spec.min_qty), "maxQty": fmt(spec.max_qty),
                 "stepSize": fmt(spec.step_size)},
                {"filterType": "NOTIONAL", "minNotional": fmt(spec.min_notional), "applyMinToMarket": True,
                 "maxNotional": fmt(spec.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
            ],
            "permissions": [], "permissionSets": [["SPOT"]], "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    def tickers(self, params: dict, shape: str):
        """ticker/24hr, ticker/price or ticker/bookTicker: one object for `symbol`, else a list."""
        ids = [self._market(params).id] if "symbol" in params else (self._symbol_list(params) or list(self.prices))
        rows = [self._ticker(i, shape) for i in ids if i in self.prices]
        if "symbol" in params:
            if not rows:
                raise errors.VenueError(400, -1112, "No orders on book for symbol.")
            return rows[0]
        return rows

    def _ticker(self, market_id: str, shape: str) -> dict:
        last, stamp = self.prices[market_id], now_ms()
        if shape == "price":
            return {"symbol": market_id, "price": fmt(last)}
        book = {"bidPrice": fmt(last), "bidQty": fmt(Decimal(1000)), "askPrice": fmt(last),
                "askQty": fmt(Decimal(1000))}
        if shape == "bookTicker":
            return {"symbol": market_id, **book}
        opened = self.opens[market_id]
        volume = sum((t.qty for t in self.trades if t.order.market.id == market_id), Decimal(0))
        quote_volume = sum((t.qty * t.price for t in self.trades if t.order.market.id == market_id), Decimal(0))
        return {"symbol": market_id, "priceChange": fmt(last - opened),
                "priceChangePercent": f"{(last - opened) / opened * 100:.3f}", "weightedAvgPrice": fmt(last),
                "prevClosePrice": fmt(opened), "lastPrice": fmt(last), "lastQty": fmt(Decimal(0)), **book,
                "openPrice": fmt(opened), "highPrice": fmt(self.highs[market_id]),
                "lowPrice": fmt(self.lows[market_id]), "volume": fmt(volume), "quoteVolume": fmt(quote_volume),
                "openTime": stamp - 86_400_000, "closeTime": stamp, "firstId": -1, "lastId": -1,
                "count": sum(1 for t in self.trades if t.order.market.id == market_id)}

    # ---- parameter reading -----------------------------------------------------------------------

    def _market(self, params: dict) -> MarketSpec:
        market_id = params.get("symbol")
        if not market_id:
            raise errors.mandatory_param("symbol")
        if market_id not in self.markets:
            raise errors.invalid_symbol()
        return self.markets[market_id]

    def _symbol_list(self, params: dict) -> list[str]:
        if "symbols" not in params:
            return []
        try:
            ids = json.loads(params["symbols"])
        except ValueError:
            raise errors.bad_param("symbols") from None
        if not isinstance(ids, list) or any(i not in self.markets for i in ids):
            raise errors.invalid_symbol()
        return ids

    def _find(self, params: dict, missing) -> Order:
        if params.get("orderId"):
            order_id = self._int(params, "orderId")
            hits = [o for o in self.orders if o.order_id == order_id]
        elif params.get("origClientOrderId"):
            # A client order id may be reused once its order is closed: the newest order with it answers.
            hits = [o for o in self.orders if o.client_order_id == params["origClientOrderId"]]
            open_hits = [o for o in hits if o.status in OPEN]
            hits = open_hits or hits
        else:
            raise errors.VenueError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, "
                                                "but both were empty/null!")
        spec = self._market(params)
        hits = [o for o in hits if o.market is spec]
        if not hits:
            raise missing()
        return hits[-1]

    @staticmethod
    def _number(params: dict, name: str) -> Decimal:
        raw = params.get(name)
        if raw is None or raw == "":
            raise errors.mandatory_param(name)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise errors.bad_param(name) from None
        if not value.is_finite() or value <= 0:
            raise errors.bad_param(name)
        return value

    @staticmethod
    def _int(params: dict, name: str) -> int | None:
        raw = params.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise errors.bad_param(name) from None

    # ---- inspection (plain Python values for tests) ------------------------------------------------

    def balances(self) -> dict[str, Decimal]:
        assets = set(self.free) | set(self.locked)
        return {a: self.free.get(a, Decimal(0)) + self.locked.get(a, Decimal(0)) for a in sorted(assets)}

    def free_and_locked(self) -> dict[str, tuple[Decimal, Decimal]]:
        assets = set(self.free) | set(self.locked)
        return {a: (self.free.get(a, Decimal(0)), self.locked.get(a, Decimal(0))) for a in sorted(assets)}
