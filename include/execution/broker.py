"""The broker interface: a subset of ccxt's unified API, so a ccxt exchange fits behind it unchanged.

Orders, trades and balances are ccxt's unified structures (dicts); errors are ccxt's
exception classes (InvalidOrder, InsufficientFunds, OrderNotFound, NetworkError, ...).
The client order id travels as params={'clientOrderId': ...}, as ccxt unifies it.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

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


def fill_from_trade(venue: str, trade: dict, client_order_id: str | None) -> Fill:
    """A ledger Fill from a ccxt unified trade structure."""
    fee = trade.get("fee") or {}
    return Fill(venue=venue, trade_id=str(trade["id"]), symbol=trade["symbol"], side=trade["side"],
                amount=trade["amount"], price=trade["price"], ts_ms=int(trade["timestamp"]),
                fee_cost=fee.get("cost") or 0, fee_currency=fee.get("currency"), client_order_id=client_order_id,
                venue_order_id=None if trade.get("order") is None else str(trade["order"]))
