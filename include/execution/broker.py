"""The broker interface: a subset of ccxt's unified API, so a ccxt exchange fits behind it unchanged.

Orders, trades and balances are ccxt's unified structures (dicts); errors are ccxt's
exception classes (InvalidOrder, InsufficientFunds, OrderNotFound, NetworkError, ...).
The client order id travels as params={'clientOrderId': ...}, as ccxt unifies it.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from include.execution.errors import LedgerError
from include.execution.ledger import Fill


@runtime_checkable
class Broker(Protocol):
    id: str        # the venue's name, as a ccxt exchange's id
    markets: dict  # symbol -> ccxt market structure (precision, limits)

    def create_order(self, symbol: str, type: str, side: str, amount: float, price: float | None = None,
                     params: dict | None = None) -> dict: ...

    def fetch_order(self, id: str | None, symbol: str | None = None, params: dict | None = None) -> dict: ...

    def fetch_open_orders(self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
                          params: dict | None = None) -> list[dict]: ...

    def cancel_order(self, id: str, symbol: str | None = None, params: dict | None = None) -> dict: ...

    def fetch_my_trades(self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
                        params: dict | None = None) -> list[dict]: ...

    def fetch_balance(self, params: dict | None = None) -> dict: ...


def fill_from_trade(venue: str, trade: dict, client_order_id: str | None, order: dict | None = None) -> Fill:
    """A ledger Fill from a ccxt unified trade structure.

    order: the ccxt order the trade came with. Binance's FULL answer to a new order lists its
    fills without time, side or order id (ccxt leaves them None); the order holds them.
    """
    order = order or {}
    fee = trade.get("fee") or {}
    ts_ms = next((t for t in (trade.get("timestamp"), order.get("lastTradeTimestamp"), order.get("timestamp"))
                  if t is not None), None)
    side = trade.get("side") or order.get("side")
    if ts_ms is None or side is None:
        missing = " and ".join(n for n, v in (("time", ts_ms), ("side", side)) if v is None)
        raise LedgerError(f"{venue} trade {trade.get('id')} (order {client_order_id}): no {missing} in the "
                          "trade or its order; valid: a ccxt trade with timestamp and side")
    venue_order_id = trade.get("order") if trade.get("order") is not None else order.get("id")
    return Fill(venue=venue, trade_id=str(trade["id"]), symbol=trade.get("symbol") or order["symbol"], side=side,
                amount=trade["amount"], price=trade["price"], ts_ms=int(ts_ms),
                fee_cost=fee.get("cost") or 0, fee_currency=fee.get("currency"), client_order_id=client_order_id,
                venue_order_id=None if venue_order_id is None else str(venue_order_id))
