"""Sending an order: the one path by which an order leaves the system.

1. the intent is written to the ledger (write-ahead); an existing client order id means
   it was handled before: the existing record is returned and nothing is sent;
2. `submitted` is recorded, then the broker is called with the client order id;
3. the venue's answer becomes an event (accepted, filled, rejected, ...) and its trades fills.
A crash between 1 and 2 leaves `new`, which was never sent, so a retry sends it.

An order is never sent blind a second time. When the outcome is unknown (a network fault,
a timeout, Binance -1006/-1007, a 5xx, an unparseable answer) it is recorded `unknown` and,
for a venue account, asked for by client order id up to `lost_after_queries` times; an order
the venue still does not know is `lost`: open, cancelled actively by client order id (its
OrderNotFound is expected), and resolved by reconciliation from later queries and fills.
A duplicate-client-order-id refusal proves the first attempt exists: it is looked up the
same way, never sent again. Without an account (the paper broker) `unknown` is left to
reconciliation.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable

import ccxt

from include.execution.broker import Broker, fill_from_trade
from include.execution.ledger import Ledger, OrderRecord, now_ms
from include.execution.orders import OrderIntent
from include.execution.settings import VenueAccount
from include.execution.state_machine import OrderStatus, from_ccxt

_DUPLICATE = re.compile(r"(?i)duplicate order sent")  # Binance -2010, which ccxt raises as InvalidOrder
NOTE_CHARS = 500


def record_venue_order(ledger: Ledger, venue: str, client_order_id: str, venue_order: dict,
                       ts_ms: int | None = None, note: str | None = None) -> int:
    """The venue's view of an order into the ledger: its trades as fills, then its status; the new fills."""
    new = sum(ledger.record_fill(fill_from_trade(venue, trade, client_order_id))
              for trade in order_trades(venue_order, ts_ms))
    ledger.record_event(client_order_id, from_ccxt(venue_order), ts_ms=ts_ms or venue_order.get("timestamp"),
                        venue_order_id=None if venue_order.get("id") is None else str(venue_order["id"]),
                        raw_status=venue_order.get("status"), filled=venue_order.get("filled"), note=note)
    return new


def order_trades(venue_order: dict, ts_ms: int | None = None) -> list[dict]:
    """The trades inside an order answer, completed from the order: Binance's create answer lists its
    fills without side, order id or time. A trade without an id is left to reconciliation's fetch of
    trades (deduplication needs the venue's trade id)."""
    stamp = venue_order.get("lastTradeTimestamp") or venue_order.get("timestamp") or ts_ms
    return [{**trade, "side": trade.get("side") or venue_order.get("side"),
             "symbol": trade.get("symbol") or venue_order.get("symbol"),
             "order": trade.get("order") if trade.get("order") is not None else venue_order.get("id"),
             "timestamp": trade.get("timestamp") or stamp}
            for trade in venue_order.get("trades") or [] if trade.get("id") is not None]


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def outcome_unknown(exc: BaseException) -> bool:
    """Whether the venue may have processed the order despite the error: then it must be looked up.

    ccxt raises the NetworkError family (timeouts, Binance -1007 and the 5xx it knows) and
    OperationFailed/BadResponse (Binance -1000, -1001, -1006) when the outcome is unknown; an
    ExchangeError is the venue's refusal, unless it came with a 5xx ccxt has no class for.
    Anything else (our own failure reading the answer) may follow a processed order too.
    """
    if isinstance(exc, ccxt.ExchangeError):
        status = getattr(exc, "http_status", None)  # set by CcxtBroker when the venue answered
        return status is not None and status >= 500
    return True


def is_duplicate(exc: BaseException) -> bool:
    return isinstance(exc, ccxt.DuplicateOrderId) or (isinstance(exc, ccxt.InvalidOrder)
                                                      and bool(_DUPLICATE.search(str(exc))))


def is_ban(exc: BaseException) -> bool:
    return isinstance(exc, ccxt.DDoSProtection) and getattr(exc, "http_status", None) == 418


def submit(ledger: Ledger, broker: Broker, order: OrderIntent, *, ts_ms: int | None = None,
           account: VenueAccount | None = None, sleep: Callable[[float], None] = time.sleep) -> OrderRecord:
    """Write the order, then send it once; returns its ledger record after the venue's answer.

    account: the venue account's lookup policy (lost_after_queries, query_interval_s); None (the
    paper broker) leaves an unknown outcome to reconciliation. A 418 ban is recorded and re-raised.
    """
    clock = (lambda: ts_ms) if ts_ms is not None else now_ms
    record, _created = ledger.record_intent(order, venue=broker.id, ts_ms=clock())
    if record.status is not OrderStatus.NEW:
        return record  # sent before (or refused before): never twice
    cid = order.client_order_id
    ledger.record_event(cid, OrderStatus.SUBMITTED, ts_ms=clock())
    price = None if order.limit_price is None else float(order.limit_price)
    try:
        answer = broker.create_order(order.symbol, order.type, order.side, float(order.amount), price,
                                     {**order.params, "clientOrderId": cid})
    except Exception as exc:  # noqa: BLE001 - every failure is classified below; none may lose the order
        failure = exc
    else:
        record_venue_order(ledger, broker.id, cid, answer, clock())
        return ledger.order(cid)

    if is_duplicate(failure):
        note = f"the venue already has client order id {cid} (the first attempt reached it): {_text(failure)}"
    elif outcome_unknown(failure):
        note = f"outcome unknown: {_text(failure)}"
    else:  # the venue answered no
        ledger.record_event(cid, OrderStatus.REJECTED, ts_ms=clock(), raw_status="rejected",
                            note=_text(failure)[:NOTE_CHARS])
        return ledger.order(cid)
    ledger.record_event(cid, OrderStatus.UNKNOWN, ts_ms=clock(), note=note[:NOTE_CHARS])
    if is_ban(failure):
        raise failure  # every request prolongs the ban: reconciliation resolves the order later
    if account is not None:
        resolve_unknown(ledger, broker, cid, queries=account.lost_after_queries,
                        interval_s=account.query_interval_s, sleep=sleep, clock=clock)
    return ledger.order(cid)


def resolve_unknown(ledger: Ledger, broker: Broker, client_order_id: str, *, queries: int, interval_s: float,
                    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], int] = now_ms) -> OrderRecord:
    """Ask the venue for an unknown order by client order id up to `queries` times; never found: lost,
    and a cancel by client order id is sent in case it appears later."""
    record = ledger.order(client_order_id)
    symbol, misses = record.intent.symbol, []
    for attempt in range(1, queries + 1):
        sleep(interval_s)
        try:
            found = broker.fetch_order(None, symbol, {"clientOrderId": client_order_id})
        except ccxt.OrderNotFound:
            misses.append(f"{attempt}: not found")
            continue
        except Exception as exc:  # noqa: BLE001 - a failed query counts as one; a ban stops at once
            if is_ban(exc):
                raise
            misses.append(f"{attempt}: {type(exc).__name__}")
            continue
        record_venue_order(ledger, broker.id, client_order_id, found, clock(),
                           note=f"found by client order id at query {attempt} of {queries}")
        return ledger.order(client_order_id)
    try:
        answer = broker.cancel_order(None, symbol, {"clientOrderId": client_order_id})
    except ccxt.OrderNotFound:
        cancel_note = "cancel by client order id: OrderNotFound, as expected"
    except Exception as exc:  # noqa: BLE001 - reconciliation cancels again
        if is_ban(exc):
            raise
        cancel_note = f"cancel by client order id failed ({_text(exc)}); reconciliation retries it"
    else:  # it appeared just now: the cancel's answer is its status (and any fills)
        record_venue_order(ledger, broker.id, client_order_id, answer, clock(),
                           note=f"appeared after {queries} queries; cancelled by client order id")
        return ledger.order(client_order_id)
    ledger.record_event(client_order_id, OrderStatus.LOST, ts_ms=clock(),
                        note=(f"the venue did not know the order after {queries} queries by client order id "
                              f"({'; '.join(misses)}); {cancel_note}")[:NOTE_CHARS])
    return ledger.order(client_order_id)


def cancel(ledger: Ledger, broker: Broker, client_order_id: str, *, ts_ms: int | None = None) -> OrderRecord:
    """Ask the venue to cancel an open order: pending_cancel, then the venue's answer."""
    record = ledger.order(client_order_id)
    ledger.record_event(client_order_id, OrderStatus.PENDING_CANCEL, ts_ms=ts_ms)
    answer = broker.cancel_order(record.venue_order_id, record.intent.symbol, {"clientOrderId": client_order_id})
    record_venue_order(ledger, broker.id, client_order_id, answer, ts_ms)
    return ledger.order(client_order_id)
