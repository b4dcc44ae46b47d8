"""Reconciliation of a venue account (CcxtBroker on the emulator): opening balances, external orders,
late fills, lost orders found and cancelled, failing closed. On SQLite and PostgreSQL ledgers."""
import pytest

from include.execution.errors import ReconciliationError
from include.execution.orders import make_order
from include.execution.reconcile import reconcile
from include.execution.submit import cancel, submit
from tests.execution.venue_support import D, assert_no_secret, error_texts, ledger_text, script, venue


def limit_buy(price=40_000, amount="0.01", leg="main"):
    return make_order("run-1", "BTC/USDT", "buy", amount, leg=leg, type="limit", limit_price=price,
                      arrival_price=50_000)


def test_first_contact_adopts_the_balances_then_a_deposit_is_a_difference_with_both_figures(ledger):
    with venue() as (emulator, broker, _):
        report = reconcile(ledger, broker, account=broker.account)
        assert report.opening_balances == {"BTC": D("0.1"), "USDT": D(10_000)} and report.clean
        assert [(m["currency"], m["amount"], m["kind"]) for m in ledger.cash_movements()] == \
            [("BTC", D("0.1"), "opening_balance"), ("USDT", D(10_000), "opening_balance")]
        assert ledger.balances() == {"BTC": D("0.1"), "USDT": D(10_000)}
        with emulator.lock:
            emulator.venue.free["USDT"] += D(5)  # a deposit the ledger never saw
        report = reconcile(ledger, broker, account=broker.account)
        assert report.opening_balances == {}
        assert [(d.currency, d.ledger, d.broker, d.difference) for d in report.balance_differences] == \
            [("USDT", D(10_000), D(10_005), D(5))]


def test_an_empty_account_is_marked_so_a_later_deposit_is_reported(ledger):
    with venue(balances={"USDT": "0"}) as (emulator, broker, _):
        assert reconcile(ledger, broker, account=broker.account).opening_balances == {}
        with emulator.lock:
            emulator.venue.free["USDT"] = D(7)
        (diff,) = reconcile(ledger, broker, account=broker.account).balance_differences
        assert (diff.currency, diff.ledger, diff.broker) == ("USDT", D(0), D(7))


def test_orders_the_ledger_does_not_know_are_adopted_as_external(ledger):
    with venue() as (emulator, broker, _):
        reconcile(ledger, broker, account=broker.account)
        broker.create_order("BTC/USDT", "limit", "buy", 0.01, 40_000, {"clientOrderId": "manual-1"})
        done = broker.create_order("ETH/USDT", "market", "buy", 0.5)  # the venue names it (web_...)
        report = reconcile(ledger, broker, account=broker.account)
        assert report.adopted == ["manual-1", done["clientOrderId"]] and not report.clean
        records = {r.client_order_id: r for r in ledger.orders()}
        assert records["manual-1"].external and records["manual-1"].status.value == "accepted"
        assert records[done["clientOrderId"]].external and records[done["clientOrderId"]].status.value == "filled"
        assert report.new_fills == 1 and report.balance_differences == []
        assert ledger.holdings() == {"ETH/USDT": D("0.4995")}
        again = reconcile(ledger, broker, account=broker.account)
        assert again.adopted == [] and again.new_fills == 0 and again.duplicate_fills == 1 and again.clean


def test_a_fill_that_raced_the_cancel_is_applied_once(ledger):
    with venue() as (emulator, broker, waits):
        reconcile(ledger, broker, account=broker.account)
        order = limit_buy()
        assert submit(ledger, broker, order, account=broker.account, sleep=waits).status.value == "accepted"
        script(emulator, ("cancel", "late_fill_after_cancel", {"fraction": D("0.5")}))
        assert cancel(ledger, broker, order.client_order_id).status.value == "cancelled"
        assert ledger.fills() == []  # the cancel's answer does not show the fill
        report = reconcile(ledger, broker, account=broker.account)
        assert report.new_fills == 1 and report.balance_differences == []
        assert reconcile(ledger, broker, account=broker.account).duplicate_fills == 1
        (fill,) = ledger.fills()
        assert (fill.client_order_id, fill.amount, fill.price) == (order.client_order_id, D("0.005"), D(40_000))
        assert ledger.holdings() == {"BTC/USDT": D("0.005") - D("0.000005")}


def test_a_lost_order_is_queried_each_time_and_cancelled_once_found_open(ledger):
    with venue(lost_after_queries=2, max_retries=0) as (emulator, broker, waits):
        reconcile(ledger, broker, account=broker.account)
        order = limit_buy()
        # the answer is lost, the venue shows the order only after 4 reads, and the cancel by client id fails
        script(emulator, ("create", "lost_response"), ("create", "not_found_lag", {"lag": 4}),
               ("cancel", "server_5xx", {"processed": False}))
        record = submit(ledger, broker, order, account=broker.account, sleep=waits)
        assert record.status.value == "lost"
        assert "cancel by client order id failed (ExchangeNotAvailable" in ledger.events(order.client_order_id)[-1]["note"]
        first = reconcile(ledger, broker, account=broker.account)  # open orders and the query use the last 2 reads
        assert first.still_lost == [order.client_order_id] and first.cancelled_lost == []
        second = reconcile(ledger, broker, account=broker.account)
        assert second.cancelled_lost == [order.client_order_id] and second.balance_differences == []
        assert [e["status"] for e in ledger.events(order.client_order_id)][-3:] == \
            ["accepted", "pending_cancel", "cancelled"]
        assert [o["status"] for o in emulator.orders()] == ["CANCELED"] and len(emulator.create_requests()) == 1


def test_an_order_the_venue_never_received_is_lost_then_rejected_after_the_lookback(ledger):
    with venue(lost_after_queries=1) as (emulator, broker, waits):
        reconcile(ledger, broker, account=broker.account)
        script(emulator, ("create", "unknown_1007", {"processed": False}))
        record = submit(ledger, broker, limit_buy(), account=broker.account, sleep=waits)
        assert record.status.value == "lost"
        created = record.created_ms
        report = reconcile(ledger, broker, account=broker.account, now=created + 3_600_000)
        assert report.still_lost == [record.client_order_id] and report.balance_differences == []
        report = reconcile(ledger, broker, account=broker.account, now=created + 48 * 3_600_000)
        assert report.lost == [record.client_order_id]
        assert ledger.order(record.client_order_id).status.value == "rejected" and ledger.open_quantities() == {}


def test_a_venue_failure_fails_closed_naming_the_step_without_a_secret(ledger):
    with venue() as (emulator, broker, _):
        script(emulator, ("account", "ban_418"))
        with pytest.raises(ReconciliationError, match="could not complete at fetch_balance: DDoSProtection: "
                                                      "emu_main: the venue banned this IP") as caught:
            reconcile(ledger, broker, account=broker.account)
        assert_no_secret(*error_texts(caught.value), ledger_text(ledger))


def test_each_account_has_its_own_ledger(tmp_path):
    import uuid

    import sqlalchemy as sa

    from include.execution.ledger import open_ledger
    from include.paths import DataPaths
    from tests.execution.conftest import PG_URL, _pg_engine

    paths = DataPaths(tmp_path)
    for account, where in (("paper", paths.ledger), ("emu_main", tmp_path / "ledger" / "emu_main.sqlite")):
        led = open_ledger(None, paths, account)
        led.record_cash("USDT", 1, reference=account)
        led.close()
        assert where.is_file()
    assert paths.ledger_for("emu_main") == tmp_path / "ledger" / "emu_main.sqlite"
    engine = _pg_engine()
    schema = f"acct_{uuid.uuid4().hex[:12]}"
    try:
        led = open_ledger(PG_URL, paths, schema)  # the account's schema is created on first use
        led.record_cash("USDT", 2, reference=schema)
        led.close()
        with engine.connect() as conn:
            assert conn.execute(sa.text(f'SELECT reference FROM "{schema}".cash_movements')).scalar() == schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
