"""Reconciliation: the ledger against the broker (nautilus_trader's start-up check, hummingbot's lost orders).

1. open orders: each venue open order the ledger does not know is adopted (marked
   external); a known one takes the venue's status;
2. orders the ledger holds open but the venue does not list: fetched one by one (by
   client order id) for their final status; one the venue has never heard of is
   rejected once lost_after_ms have passed since it was written, else unresolved;
3. fills since a timestamp, deduplicated by trade id (a trade of an unknown order
   adopts that order first);
4. balances: every currency where the venue's total and the ledger's differ by more
   than the tolerance is reported with both figures.
It fails closed: a broker error at any step, or an order left unresolved, raises
ReconciliationError, and whoever called it must not trade.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import ccxt

from include.execution.broker import Broker, fill_from_trade
from include.execution.errors import ReconciliationError
from include.execution.ledger import Ledger, now_ms
from include.execution.orders import OrderIntent, as_decimal
from include.execution.state_machine import OrderStatus
from include.execution.submit import record_venue_order


@dataclass(frozen=True)
class BalanceDifference:
    currency: str
    ledger: Decimal
    broker: Decimal

    @property
    def difference(self) -> Decimal:
        return self.broker - self.ledger


@dataclass
class ReconcileReport:
    adopted: list[str] = field(default_factory=list)        # client order ids marked external
    updated: list[str] = field(default_factory=list)        # orders whose status moved
    lost: list[str] = field(default_factory=list)           # never reached the venue: rejected
    new_fills: int = 0
    duplicate_fills: int = 0
    balance_differences: list[BalanceDifference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.adopted or self.balance_differences)


def _adopt(ledger: Ledger, venue: str, order: dict, report: ReconcileReport) -> str:
    cid = order.get("clientOrderId") or f"ext-{order['id']}"
    limit = order.get("price") if order.get("type") == "limit" else None
    intent = OrderIntent(cid, order["symbol"], order["side"], order.get("type") or "market", order["amount"],
                         limit_price=limit, reason="adopted from the venue", leg="external")
    _, created = ledger.record_intent(intent, venue=venue, ts_ms=order.get("timestamp") or now_ms(), external=True)
    if created:
        ledger.record_event(cid, OrderStatus.SUBMITTED, ts_ms=order.get("timestamp"), note="adopted from the venue")
        report.adopted.append(cid)
    return cid


def _apply(ledger: Ledger, venue: str, cid: str, order: dict, report: ReconcileReport) -> None:
    before = ledger.order(cid).status
    report.new_fills += record_venue_order(ledger, venue, cid, order)
    if ledger.order(cid).status is not before and cid not in report.adopted:
        report.updated.append(cid)


def _reconcile(ledger: Ledger, broker: Broker, since_ms: int, now: int, tolerance: Decimal,
               lost_after_ms: int, report: ReconcileReport, step: list) -> None:
    step[0] = "fetch_open_orders"
    venue_open = broker.fetch_open_orders()
    seen = set()
    for order in venue_open:
        cid = order.get("clientOrderId")
        if cid is None or ledger.order(cid) is None:
            cid = _adopt(ledger, broker.id, order, report)
        seen.add(cid)
        _apply(ledger, broker.id, cid, order, report)

    step[0] = "fetch_order"
    unresolved = []
    for record in ledger.orders(open_only=True):
        if record.client_order_id in seen or record.venue != broker.id:
            continue
        try:
            order = broker.fetch_order(record.venue_order_id, record.intent.symbol,
                                       {"clientOrderId": record.client_order_id})
        except ccxt.OrderNotFound:
            if record.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN) \
                    and now - record.created_ms >= lost_after_ms:
                ledger.record_event(record.client_order_id, OrderStatus.REJECTED, ts_ms=now,
                                    raw_status="not_found", note="the venue has no such order")
                report.lost.append(record.client_order_id)
            else:
                unresolved.append(f"{record.client_order_id} ({record.status.value})")
            continue
        _apply(ledger, broker.id, record.client_order_id, order, report)

    step[0] = "fetch_my_trades"
    by_venue_id = {r.venue_order_id: r.client_order_id for r in ledger.orders() if r.venue_order_id}
    for trade in broker.fetch_my_trades(since=since_ms):
        venue_id = None if trade.get("order") is None else str(trade["order"])
        cid = trade.get("clientOrderId") or by_venue_id.get(venue_id)
        if cid is None or ledger.order(cid) is None:
            order = broker.fetch_order(venue_id, trade["symbol"])
            cid = _adopt(ledger, broker.id, order, report)
            _apply(ledger, broker.id, cid, order, report)
            by_venue_id[venue_id] = cid
        if ledger.record_fill(fill_from_trade(broker.id, trade, cid)):
            report.new_fills += 1
        else:
            report.duplicate_fills += 1

    step[0] = "fetch_balance"
    venue_totals = broker.fetch_balance().get("total") or {}
    ledger_totals = ledger.balances()
    for currency in sorted(set(venue_totals) | set(ledger_totals)):
        theirs = as_decimal(venue_totals.get(currency) or 0, f"{broker.id} balance of {currency}")
        ours = ledger_totals.get(currency, Decimal(0))
        if abs(theirs - ours) > tolerance:
            report.balance_differences.append(BalanceDifference(currency, ours, theirs))

    if unresolved:
        step[0] = "resolve"
        raise ReconciliationError(f"reconciliation with {broker.id}: the venue does not know the open order(s) "
                                  f"{', '.join(unresolved)} yet; trading must wait until they resolve")


def reconcile(ledger: Ledger, broker: Broker, *, since_ms: int, now: int | None = None,
              tolerance=Decimal("1e-8"), lost_after_ms: int = 60_000) -> ReconcileReport:
    """Bring the ledger in line with the broker; raises ReconciliationError if it cannot complete."""
    report, step = ReconcileReport(), ["start"]
    try:
        _reconcile(ledger, broker, since_ms, now_ms() if now is None else now, as_decimal(tolerance, "tolerance"),
                   lost_after_ms, report, step)
    except ReconciliationError:
        raise
    except Exception as exc:  # any failure leaves the picture incomplete: fail closed
        raise ReconciliationError(f"reconciliation with {broker.id} could not complete at {step[0]}: "
                                  f"{type(exc).__name__}: {exc}") from exc
    return report
