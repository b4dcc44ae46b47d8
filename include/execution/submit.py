"""Sending an order: the one path by which an order leaves the system.

1. the intent is written to the ledger (write-ahead); an existing client order id means
   it was handled before: the existing record is returned and nothing is sent;
2. `submitted` is recorded, then the broker is called with the client order id;
3. the venue's answer becomes an event (accepted, filled, rejected, ...) and its trades fills.
A network fault after the send leaves `unknown`: reconciliation asks the venue later.
A crash between 1 and 2 leaves `new`, which was never sent, so a retry sends it.
"""
from __future__ import annotations

import ccxt

from include.execution.broker import Broker, fill_from_trade
from include.execution.ledger import Ledger, OrderRecord, now_ms
from include.execution.orders import OrderIntent
from include.execution.state_machine import OrderStatus, from_ccxt


def record_venue_order(ledger: Ledger, venue: str, client_order_id: str, venue_order: dict,
                       ts_ms: int | None = None) -> int:
    """The venue's view of an order into the ledger: its trades as fills, then its status; the new fills."""
    new = sum(ledger.record_fill(fill_from_trade(venue, trade, client_order_id, venue_order))
              for trade in venue_order.get("trades") or [])
    ledger.record_event(client_order_id, from_ccxt(venue_order), ts_ms=ts_ms or venue_order.get("timestamp"),
                        venue_order_id=None if venue_order.get("id") is None else str(venue_order["id"]),
                        raw_status=venue_order.get("status"), filled=venue_order.get("filled"))
    return new


def submit(ledger: Ledger, broker: Broker, order: OrderIntent, *, ts_ms: int | None = None) -> OrderRecord:
    """Write the order, then send it once; returns its ledger record after the venue's answer."""
    ts_ms = now_ms() if ts_ms is None else ts_ms
    record, _created = ledger.record_intent(order, venue=broker.id, ts_ms=ts_ms)
    if record.status is not OrderStatus.NEW:
        return record  # sent before (or refused before): never twice
    cid = order.client_order_id
    ledger.record_event(cid, OrderStatus.SUBMITTED, ts_ms=ts_ms)
    price = None if order.limit_price is None else float(order.limit_price)
    try:
        answer = broker.create_order(order.symbol, order.type, order.side, float(order.amount), price,
                                     {**order.params, "clientOrderId": cid})
    except ccxt.NetworkError as exc:  # it may or may not have reached the venue
        ledger.record_event(cid, OrderStatus.UNKNOWN, ts_ms=ts_ms, note=f"{type(exc).__name__}: {exc}"[:500])
    except ccxt.ExchangeError as exc:  # the venue answered no
        ledger.record_event(cid, OrderStatus.REJECTED, ts_ms=ts_ms, raw_status="rejected",
                            note=f"{type(exc).__name__}: {exc}"[:500])
    else:
        record_venue_order(ledger, broker.id, cid, answer, ts_ms)
    return ledger.order(cid)


def cancel(ledger: Ledger, broker: Broker, client_order_id: str, *, ts_ms: int | None = None) -> OrderRecord:
    """Ask the venue to cancel an open order: pending_cancel, then the venue's answer."""
    record = ledger.order(client_order_id)
    ledger.record_event(client_order_id, OrderStatus.PENDING_CANCEL, ts_ms=ts_ms)
    answer = broker.cancel_order(record.venue_order_id, record.intent.symbol, {"clientOrderId": client_order_id})
    record_venue_order(ledger, broker.id, client_order_id, answer, ts_ms)
    return ledger.order(client_order_id)
