"""Reconciliation: the ledger against the broker (nautilus_trader's start-up check, hummingbot's lost orders).

1. open orders: each venue open order the ledger does not know is adopted (marked
   external); a known one takes the venue's status;
2. orders the ledger holds open but the venue does not list: fetched one by one (by
   client order id) for their final status. One the venue has never heard of: on the
   paper desk it is rejected once lost_after_ms have passed since it was written; on a
   venue account it becomes `lost` then (tracked: asked for again at every
   reconciliation, cancelled by client order id, rejected as never placed only once the
   trades lookback has passed without a trace). Until then it is unresolved;
3. fills since a timestamp, deduplicated by (venue, trade id); a trade of an unknown order
   fetches that order by venue id to learn its client order id: a lost order is found
   this way, anything else is adopted;
4. a lost order found open is cancelled actively;
5. balances: on a venue account's first contact (the ledger has no cash movements) the
   venue's balances are adopted as opening deposits (kind opening_balance, reported);
   afterwards every currency where the venue's total and the ledger's differ by more
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
from include.execution.settings import VenueAccount
from include.execution.state_machine import OrderStatus
from include.execution.submit import NOTE_CHARS, record_venue_order

S = OrderStatus
_FOUND_OPEN = (S.ACCEPTED, S.PARTIALLY_FILLED)


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
    lost: list[str] = field(default_factory=list)           # not found: rejected (paper) or lost (venue) now
    still_lost: list[str] = field(default_factory=list)     # lost before, still unknown to the venue
    cancelled_lost: list[str] = field(default_factory=list)  # lost orders found open and cancelled
    new_fills: int = 0
    duplicate_fills: int = 0
    balance_differences: list[BalanceDifference] = field(default_factory=list)
    opening_balances: dict[str, Decimal] = field(default_factory=dict)  # adopted at first contact

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


def _not_found(ledger: Ledger, broker: Broker, record, now: int, lost_after_ms: int,
               account: VenueAccount | None, report: ReconcileReport, unresolved: list) -> None:
    """An order open in the ledger that the venue does not know (yet)."""
    cid, age = record.client_order_id, now - record.created_ms
    if record.status is S.LOST:
        give_up_ms = lost_after_ms if account is None else account.trades_lookback_hours * 3_600_000
        if age >= give_up_ms:
            ledger.record_event(cid, S.REJECTED, ts_ms=now, raw_status="not_found",
                                note=f"never placed: unknown to the venue for {give_up_ms / 3_600_000:g} h of "
                                     "queries (the trades lookback: no fill of it can appear any more)")
            report.lost.append(cid)
        else:
            report.still_lost.append(cid)
        return
    if record.status not in (S.SUBMITTED, S.UNKNOWN) or age < lost_after_ms:
        unresolved.append(f"{cid} ({record.status.value})")
        return
    if account is None:  # the paper venue answers at once: never found means never placed
        ledger.record_event(cid, S.REJECTED, ts_ms=now, raw_status="not_found", note="the venue has no such order")
        report.lost.append(cid)
        return
    if record.status is S.SUBMITTED:  # sent (a crash before the answer): its outcome is unknown
        ledger.record_event(cid, S.UNKNOWN, ts_ms=now, note="reconciliation: no answer recorded for the send")
    try:
        answer = broker.cancel_order(None, record.intent.symbol, {"clientOrderId": cid})
    except ccxt.OrderNotFound:
        cancel_note = "cancel by client order id: OrderNotFound, as expected"
    else:
        record_venue_order(ledger, broker.id, cid, answer, now, note="appeared: cancelled by client order id")
        report.cancelled_lost.append(cid)
        return
    ledger.record_event(cid, S.LOST, ts_ms=now,
                        note=(f"reconciliation: the venue does not know the order {age // 1000} s after it was "
                              f"written; {cancel_note}")[:NOTE_CHARS])
    report.lost.append(cid)


def _cancel_found(ledger: Ledger, broker: Broker, cid: str, now: int, report: ReconcileReport) -> None:
    """A lost order found open: cancel it (a fill that raced the cancel is applied from the answer)."""
    record = ledger.order(cid)
    ledger.record_event(cid, S.PENDING_CANCEL, ts_ms=now, note="a lost order found open: cancelled")
    try:
        answer = broker.cancel_order(record.venue_order_id, record.intent.symbol, {"clientOrderId": cid})
    except ccxt.OrderNotFound:  # closed between the query and the cancel: its final state
        answer = broker.fetch_order(record.venue_order_id, record.intent.symbol, {"clientOrderId": cid})
    record_venue_order(ledger, broker.id, cid, answer, now)
    report.cancelled_lost.append(cid)


def _balances(ledger: Ledger, broker: Broker, now: int, tolerance: Decimal, account: VenueAccount | None,
              report: ReconcileReport) -> None:
    venue_totals = {c: as_decimal(v or 0, f"{broker.id} balance of {c}")
                    for c, v in (broker.fetch_balance().get("total") or {}).items()}
    ledger_totals = ledger.balances()
    currencies = sorted(set(venue_totals) | set(ledger_totals))
    if account is not None and not ledger.cash_movements():  # first contact: the venue's balances are the start
        for currency in currencies:
            opening = venue_totals.get(currency, Decimal(0)) - ledger_totals.get(currency, Decimal(0))
            if opening != 0:
                ledger.record_cash(currency, opening, kind="opening_balance", ts_ms=now,
                                   reference=f"{broker.id}: the venue's balance at first contact")
                report.opening_balances[currency] = opening
        if not report.opening_balances:  # an empty account: mark the contact, so a later deposit is reported
            quote = next(iter(broker.markets.values()), {}).get("quote") or "USDT"
            ledger.record_cash(quote, 0, kind="opening_balance", ts_ms=now,
                               reference=f"{broker.id}: first contact, the venue held nothing")
        return
    for currency in currencies:
        theirs, ours = venue_totals.get(currency, Decimal(0)), ledger_totals.get(currency, Decimal(0))
        if abs(theirs - ours) > tolerance:
            report.balance_differences.append(BalanceDifference(currency, ours, theirs))


def _reconcile(ledger: Ledger, broker: Broker, since_ms: int | None, now: int, tolerance: Decimal,
               lost_after_ms: int, account: VenueAccount | None, report: ReconcileReport, step: list) -> None:
    lost_before = {r.client_order_id for r in ledger.orders(open_only=True)
                   if r.status is S.LOST and r.venue == broker.id}
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
            step[0] = "cancel_order (an order the venue does not know)"
            _not_found(ledger, broker, record, now, lost_after_ms, account, report, unresolved)
            step[0] = "fetch_order"
            continue
        _apply(ledger, broker.id, record.client_order_id, order, report)

    step[0] = "fetch_my_trades"
    by_venue_id = {r.venue_order_id: r.client_order_id for r in ledger.orders() if r.venue_order_id}
    for trade in broker.fetch_my_trades(since=since_ms):
        venue_id = None if trade.get("order") is None else str(trade["order"])
        cid = trade.get("clientOrderId") or by_venue_id.get(venue_id)
        if cid is None or ledger.order(cid) is None:  # learn its client order id: a lost order, or adopt it
            try:
                order = broker.fetch_order(venue_id, trade["symbol"])
            except ccxt.OrderNotFound:  # the venue cannot show the order yet: its fill waits for the next run
                unresolved.append(f"venue order {venue_id} of trade {trade['id']}")
                continue
            cid = _adopt(ledger, broker.id, order, report)
            _apply(ledger, broker.id, cid, order, report)
            by_venue_id[venue_id] = cid
        if ledger.record_fill(fill_from_trade(broker.id, trade, cid)):
            report.new_fills += 1
        else:
            report.duplicate_fills += 1

    step[0] = "cancel_order (a lost order found open)"
    for cid in sorted(lost_before):
        if ledger.order(cid).status in _FOUND_OPEN:
            _cancel_found(ledger, broker, cid, now, report)
    report.still_lost = [c for c in report.still_lost if ledger.order(c).status is S.LOST]

    step[0] = "fetch_balance"
    _balances(ledger, broker, now, tolerance, account, report)

    if unresolved:
        step[0] = "resolve"
        raise ReconciliationError(f"reconciliation with {broker.id}: the venue does not know the open order(s) "
                                  f"{', '.join(unresolved)} yet; trading must wait until they resolve")


def reconcile(ledger: Ledger, broker: Broker, *, since_ms: int | None = None, now: int | None = None,
              tolerance=Decimal("1e-8"), lost_after_ms: int = 60_000,
              account: VenueAccount | None = None) -> ReconcileReport:
    """Bring the ledger in line with the broker; raises ReconciliationError if it cannot complete.

    since_ms: fills from then (None: the broker's default; a venue account's trades lookback).
    account: a venue account (lost-order tracking, opening balances); None: the paper desk.
    """
    report, step = ReconcileReport(), ["start"]
    try:
        _reconcile(ledger, broker, since_ms, now_ms() if now is None else now, as_decimal(tolerance, "tolerance"),
                   lost_after_ms, account, report, step)
    except ReconciliationError:
        raise
    except Exception as exc:  # any failure leaves the picture incomplete: fail closed
        raise ReconciliationError(f"reconciliation with {broker.id} could not complete at {step[0]}: "
                                  f"{type(exc).__name__}: {exc}") from exc
    return report
