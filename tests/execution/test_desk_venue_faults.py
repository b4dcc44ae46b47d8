"""The desk's steps on a venue account when the send goes wrong, against the Binance emulator (unmodified ccxt):
an unknown outcome is looked up by client order id, an order written but never sent still reads the kill
switch, orders the venue never acknowledged are left to reconciliation (and still cancelled at the deadline),
and the broker options reach the ccxt broker each step opens.
"""
from __future__ import annotations

import time

import pytest

from include.checked_config import load_checked_config
from include.execution import desk
from include.execution.credentials import Credentials
from include.execution.desk_account import BrokerOptions, DeskAccount
from include.execution.ledger import open_ledger
from include.execution.orders import make_order
from include.execution.state_machine import OrderStatus
from include.paths import DataPaths
from tests.emulator import FaultPlan, running_emulator
from tests.execution.desk_support import config_text
from tests.execution.venue_support import Waits, script

KEY, SECRET = "desk-faults-key", "desk-faults-secret"
NAME = "testnet"
PRICES = {"BTC/USDT": "60000", "ETH/USDT": "3000", "SOL/USDT": "150"}
RELEASED = lambda: False  # noqa: E731 - the kill switch, released
ENGAGED = lambda: True  # noqa: E731


@pytest.fixture
def venue(tmp_path, monkeypatch):
    """A sandbox account without approval on the emulator; a client timeout below the held-back answers."""
    with running_emulator(balances={"USDT": "100000", "BTC": "0.1"}, prices=PRICES, api_key=KEY, secret=SECRET,
                          faults=FaultPlan.none()) as emulator:
        extra = (f"  venues:\n    {NAME}: {{exchange: binance, connection_id: {NAME}, api_url: '{emulator.base_url}', "
                 "require_approval: false, timeout_ms: 400, query_interval_s: 0, lost_after_queries: 3}")
        (tmp_path / "config.yaml").write_text(config_text(extra=extra))
        monkeypatch.setenv("PEAKTRADE_CONFIG", str(tmp_path / "config.yaml"))
        monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(tmp_path / "data"))
        yield emulator, load_checked_config()


def account(**options) -> DeskAccount:
    return DeskAccount(NAME, Credentials(KEY, SECRET),
                       BrokerOptions(**({"sleep": Waits(), "backoff_s": 0, "rate_limit": False} | options)))


def ledger_of(config):
    from include.config.loader import data_dir

    return open_ledger(None, DataPaths(data_dir(config)), NAME)


def checked_orders(config, acc, run_id, weights) -> dict:
    """reconcile_start .. check_risk, as the rebalance DAG's tasks run them."""
    form = desk.validate_form(config, {"dry_run": False, "broker": NAME, "target_weights": weights})
    desk.reconcile_desk(config, "start", acc)
    positions = desk.load_positions(config, form, run_id, account=acc)
    plan = desk.build_orders(config, run_id, positions, desk.compute_targets(config, form, positions), acc)
    return desk.check_risk(config, positions, plan, RELEASED, acc)


def statuses(ledger, cid) -> list[str]:
    return [e["status"] for e in ledger.events(cid)]


def test_an_unknown_outcome_is_looked_up_by_client_order_id(venue):
    emulator, config = venue
    acc = account()
    checked = checked_orders(config, acc, "manual__unknown", {"BTC/USDT": 0.2})
    (order,) = checked["accepted"]
    script(emulator, ("create", "lost_response"))   # processed, but the answer never arrives
    submitted = desk.execute_orders(config, checked, RELEASED, dry_run=False, account=acc)
    led = ledger_of(config)
    try:
        cid = order["client_order_id"]
        assert statuses(led, cid) == ["new", "submitted", "unknown", "filled"]
        assert led.events(cid)[-1]["note"] == "found by client order id at query 1 of 3"
    finally:
        led.close()
    assert submitted["orders"] == [{"client_order_id": cid, "status": "filled"}]
    assert len(emulator.create_requests()) == 1 and len(emulator.orders()) == 1


def test_an_order_written_but_never_sent_reads_the_kill_switch(venue):
    emulator, config = venue
    acc = account()
    checked = checked_orders(config, acc, "manual__crashed", {"BTC/USDT": 0.2, "ETH/USDT": 0.2})
    first = desk.order_from(checked["accepted"][0])
    led = ledger_of(config)
    try:   # the write-ahead, then the process died before the send
        led.record_intent(first, venue=NAME)
    finally:
        led.close()
    with pytest.raises(desk.KillSwitchEngaged, match="2 rebalance order"):
        desk.execute_orders(config, checked, ENGAGED, dry_run=False, account=acc)
    assert emulator.create_requests() == []
    led = ledger_of(config)
    try:
        assert statuses(led, first.client_order_id) == ["new", "rejected"]
        assert led.events(first.client_order_id)[-1]["raw_status"] == "kill_switch"
    finally:
        led.close()


def test_the_same_unsent_order_leaves_once_the_switch_is_released(venue):
    emulator, config = venue
    acc = account()
    checked = checked_orders(config, acc, "manual__resumed", {"BTC/USDT": 0.2})
    (order,) = checked["accepted"]
    led = ledger_of(config)
    try:
        led.record_intent(desk.order_from(order), venue=NAME)
    finally:
        led.close()
    reads = []
    submitted = desk.execute_orders(config, checked, lambda: reads.append(1) or False, dry_run=False, account=acc)
    assert reads == [1] and submitted["sent"] == [order["client_order_id"]]
    assert len(emulator.create_requests()) == 1


def test_orders_the_venue_never_acknowledged_are_left_to_reconciliation_and_cancelled_at_the_deadline(venue):
    emulator, config = venue
    acc = account()
    desk.reconcile_desk(config, "start", acc)   # first contact: the opening balances
    unanswered = make_order("manual__unacked", "BTC/USDT", "buy", "0.001", leg="a", arrival_price=60_000)
    lost = make_order("manual__unacked", "ETH/USDT", "buy", "0.01", leg="b", arrival_price=3_000)
    led = ledger_of(config)
    try:
        for order in (unanswered, lost):
            led.record_intent(order, venue=NAME)
            led.record_event(order.client_order_id, OrderStatus.SUBMITTED)   # sent; no answer recorded
        led.record_event(lost.client_order_id, OrderStatus.UNKNOWN, note="outcome unknown")
        led.record_event(lost.client_order_id, OrderStatus.LOST, note="not found after 3 queries")
    finally:
        led.close()
    submitted = {"dry_run": False, "sent": [], "blocked": [],
                 "orders": [{"client_order_id": o.client_order_id, "status": "submitted"} for o in (unanswered, lost)]}
    out = desk.track_fills(config, submitted, account=acc)   # fill_timeout_s 0: the deadline at once
    assert out == {"filled": [], "cancelled": [], "partial": []}
    led = ledger_of(config)
    try:   # the cancels went by client order id: the venue did not know either, their outcome stays open
        assert led.order(unanswered.client_order_id).status is OrderStatus.UNKNOWN
        assert led.order(lost.client_order_id).status is OrderStatus.LOST
    finally:
        led.close()
    counts = emulator.request_counts()
    assert counts.get("query", 0) == 0 and counts.get("cancel", 0) == 2
    # reconciliation resolves them: unseen for the account's lookup window (3 x 0 s): tracked as lost
    end = desk.reconcile_desk(config, "end", acc)
    assert end["lost"] == [unanswered.client_order_id] and end["still_lost"] == [lost.client_order_id]
    assert emulator.create_requests() == []


def test_the_broker_options_reach_the_broker_each_step_opens(venue):
    emulator, config = venue
    opened, waits = [], Waits()
    acc = account(sleep=waits, backoff_s=0.25, wrap=lambda broker: opened.append(broker) or broker)
    script(emulator, ("account", "server_5xx", {"status": 503, "processed": False}))
    began = time.monotonic()
    desk.reconcile_desk(config, "start", acc)
    assert waits == [0.25] and time.monotonic() - began < 5   # the retry waited on the given clock
    assert len(opened) == 1 and opened[0]._exchange.enableRateLimit is False
    default = DeskAccount(NAME).broker_options
    assert (default.sleep, default.backoff_s, default.rate_limit, default.markets, default.wrap) == (
        time.sleep, 0.5, True, None, None)
