"""Reconciliation against the paper venue: adoption, fill dedup, balances, lost orders, failing closed."""
from decimal import Decimal as D

import ccxt
import pytest

from include.backtest.config import Costs
from include.execution.errors import ReconciliationError
from include.execution.orders import make_order
from include.execution.paper_broker import Candle, PaperBroker
from include.execution.reconcile import reconcile
from include.execution.submit import submit
from tests.execution.support import BTC


def setup(ledger):
    broker = PaperBroker({"BTC/USDT": BTC}, {"USDT": 10_000}, Costs(taker_bps=10, slippage_bps=5, slippage_vol_k=0))
    ledger.record_cash("USDT", 10_000, kind="deposit", ts_ms=0)
    broker.set_candle("BTC/USDT", Candle(1_000, 100.0, 101.0, 99.0, 100.0))
    return broker


def test_a_ledger_in_step_with_the_venue_reconciles_clean_and_twice(ledger):
    broker = setup(ledger)
    submit(ledger, broker, make_order("r", "BTC/USDT", "buy", 2, arrival_price=100), ts_ms=1_000)
    report = reconcile(ledger, broker, since_ms=0, now=2_000)
    assert report.clean and report.new_fills == 0 and report.duplicate_fills == 1
    assert reconcile(ledger, broker, since_ms=0, now=3_000).duplicate_fills == 1
    assert len(ledger.fills()) == 1


def test_orders_the_ledger_does_not_know_are_adopted_as_external(ledger):
    broker = setup(ledger)
    broker.create_order("BTC/USDT", "limit", "buy", 1, 95.0, {"clientOrderId": "manual-1"})
    done = broker.create_order("BTC/USDT", "market", "buy", 1)   # no client id: the venue names it
    report = reconcile(ledger, broker, since_ms=0, now=2_000)
    assert report.adopted == ["manual-1", f"paper-{done['id']}"]
    adopted = {r.client_order_id: r for r in ledger.orders()}
    assert adopted["manual-1"].external and adopted["manual-1"].status.value == "accepted"
    assert adopted[f"paper-{done['id']}"].status.value == "filled"
    assert report.new_fills == 1 and report.balance_differences == []
    assert ledger.holdings() == {"BTC/USDT": D(1)}
    # the resting order fills on the next candle: the next reconciliation moves it and takes its fill
    broker.set_candle("BTC/USDT", Candle(2_000, 96.0, 96.0, 94.0, 95.0))
    report = reconcile(ledger, broker, since_ms=1_500, now=3_000)
    assert report.updated == ["manual-1"] and report.new_fills == 1 and report.adopted == []
    assert ledger.order("manual-1").status.value == "filled" and ledger.holdings() == {"BTC/USDT": D(2)}


def test_balance_differences_are_reported_with_both_figures(ledger):
    broker = setup(ledger)
    broker.balances["USDT"] += 5          # a deposit the ledger never saw
    broker.balances["ETH"] = 0.25
    report = reconcile(ledger, broker, since_ms=0, now=2_000)
    diffs = {d.currency: (d.ledger, d.broker, d.difference) for d in report.balance_differences}
    assert diffs == {"ETH": (D(0), D("0.25"), D("0.25")), "USDT": (D(10_000), D(10_005), D(5))}
    assert not report.clean


def test_an_unknown_order_is_resolved_from_the_venue(ledger):
    broker = setup(ledger)
    order = make_order("r", "BTC/USDT", "buy", 1, arrival_price=100)
    broker.create_order("BTC/USDT", "market", "buy", 1, None, {"clientOrderId": order.client_order_id})
    ledger.record_intent(order, venue="paper", ts_ms=1_000)       # as if the answer had been lost
    ledger.record_event(order.client_order_id, "submitted", ts_ms=1_000)
    ledger.record_event(order.client_order_id, "unknown", ts_ms=1_000)
    report = reconcile(ledger, broker, since_ms=0, now=2_000)
    assert report.updated == [order.client_order_id] and report.new_fills == 1
    assert ledger.order(order.client_order_id).status.value == "filled"


def test_an_order_the_venue_never_saw_fails_closed_then_is_rejected_as_lost(ledger):
    broker = setup(ledger)
    order = make_order("r", "BTC/USDT", "buy", 1, arrival_price=100)
    ledger.record_intent(order, venue="paper", ts_ms=1_000)
    ledger.record_event(order.client_order_id, "submitted", ts_ms=1_000)
    with pytest.raises(ReconciliationError, match=f"does not know the open order.*{order.client_order_id} "
                                                  r"\(submitted\) yet"):
        reconcile(ledger, broker, since_ms=0, now=2_000, lost_after_ms=60_000)
    report = reconcile(ledger, broker, since_ms=0, now=61_000, lost_after_ms=60_000)
    assert report.lost == [order.client_order_id]
    assert ledger.order(order.client_order_id).status.value == "rejected"


class DownBroker(PaperBroker):
    def fetch_balance(self, params=None):
        raise ccxt.ExchangeNotAvailable("503 Service Unavailable")


def test_a_broker_failure_fails_closed_naming_the_step(ledger):
    broker = DownBroker({"BTC/USDT": BTC}, {"USDT": 0}, Costs.zero())
    with pytest.raises(ReconciliationError, match="could not complete at fetch_balance: ExchangeNotAvailable: 503"):
        reconcile(ledger, broker, since_ms=0, now=1)
