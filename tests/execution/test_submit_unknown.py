"""submit() through CcxtBroker to the emulator when the outcome is unknown: found by client order id and
recorded once, or LOST and cancelled; never a second order. On SQLite and PostgreSQL ledgers."""
import ccxt
import pytest

from include.execution.orders import make_order
from include.execution.reconcile import reconcile
from include.execution.submit import submit
from tests.execution.venue_support import D, accepted_creates, assert_no_secret, error_texts, ledger_text, script, venue


def buy(leg="main", amount="0.01", **kw):
    return make_order("run-1", "BTC/USDT", "buy", amount, leg=leg, arrival_price=50_000, **kw)


def statuses(ledger, cid):
    return [e["status"] for e in ledger.events(cid)]


def test_a_lost_answer_is_found_by_client_order_id_and_recorded_once(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "lost_response"))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        assert record.status.value == "filled" and record.filled == D("0.01")
        assert statuses(ledger, record.client_order_id) == ["new", "submitted", "unknown", "filled"]
        assert ledger.events(record.client_order_id)[-1]["note"] == "found by client order id at query 1 of 3"
        assert len(emulator.create_requests()) == 1 and len(emulator.orders()) == 1
        assert submit(ledger, broker, buy(), account=broker.account, sleep=waits) == record  # never twice
        report = reconcile(ledger, broker, account=broker.account)
        assert report.new_fills == 1 and ledger.holdings() == {"BTC/USDT": D("0.00999")}  # fee in BTC
        assert reconcile(ledger, broker, account=broker.account).duplicate_fills == 1
        assert len(emulator.create_requests()) == 1


@pytest.mark.parametrize("processed", [True, False])
def test_binance_1007_processed_or_not(ledger, processed):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "unknown_1007", {"processed": processed}))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        events = ledger.events(record.client_order_id)
        assert events[2]["status"] == "unknown" and events[2]["note"].startswith("outcome unknown: RequestTimeout")
        assert len(emulator.create_requests()) == 1
        if processed:
            assert record.status.value == "filled" and len(accepted_creates(emulator)) == 1
        else:
            assert record.status.value == "lost" and accepted_creates(emulator) == []
            assert events[-1]["note"] == ("the venue did not know the order after 3 queries by client order id "
                                          "(1: not found; 2: not found; 3: not found); cancel by client order id: "
                                          "OrderNotFound, as expected")
            assert len(waits) == 3


def test_a_5xx_html_page_is_an_unknown_outcome_too(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "server_5xx", {"status": 502, "processed": True}))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        assert statuses(ledger, record.client_order_id)[2:] == ["unknown", "filled"]
        assert len(accepted_creates(emulator)) == 1


def test_a_not_found_lag_shorter_than_the_queries_resolves(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "lost_response"), ("create", "not_found_lag", {"lag": 2}))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        assert record.status.value == "filled"
        assert ledger.events(record.client_order_id)[-1]["note"] == "found by client order id at query 3 of 3"


def test_a_longer_lag_is_lost_then_reconciliation_puts_its_fill_on_the_same_order(ledger):
    with venue(lost_after_queries=2) as (emulator, broker, waits):
        script(emulator, ("create", "lost_response"), ("create", "not_found_lag", {"lag": 3}))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        assert record.status.value == "lost" and record.venue_order_id is None
        assert ledger.open_quantities() == {"BTC/USDT": D("0.01")}  # a lost order still counts as open
        report = reconcile(ledger, broker, account=broker.account)
        assert report.adopted == [] and report.new_fills == 1
        assert ledger.order(record.client_order_id).status.value == "filled"
        (fill,) = ledger.fills()
        assert fill.client_order_id == record.client_order_id
        assert fill.venue_order_id == ledger.order(record.client_order_id).venue_order_id == "100001"
        assert len(ledger.orders()) == 1 and len(emulator.create_requests()) == 1


def test_a_duplicate_client_order_id_refusal_records_the_first_attempt(ledger):
    with venue() as (emulator, broker, waits):
        order = buy(type="limit", limit_price=40_000)
        first = broker.create_order("BTC/USDT", "limit", "buy", 0.01, 40_000, {"clientOrderId": order.client_order_id})
        record = submit(ledger, broker, order, account=broker.account, sleep=waits)  # a ledger that missed it
        assert record.status.value == "accepted" and record.venue_order_id == first["id"]
        events = ledger.events(order.client_order_id)
        assert events[2]["note"].startswith(f"the venue already has client order id {order.client_order_id}")
        assert len(emulator.orders()) == 1


def test_a_429_is_sent_again_once_and_creates_one_order(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "rate_limit_429"))
        record = submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        assert record.status.value == "filled" and statuses(ledger, record.client_order_id) == \
            ["new", "submitted", "filled"]
        assert [r["clientOrderId"] for r in emulator.create_requests()] == [record.client_order_id]
        assert waits == [1.0]


def test_a_418_ban_stops_with_the_order_unknown(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "ban_418"))
        with pytest.raises(ccxt.DDoSProtection, match="banned this IP"):
            submit(ledger, broker, buy(), account=broker.account, sleep=waits)
        (record,) = ledger.orders()
        assert record.status.value == "unknown" and waits == [] and emulator.fault_counts() == {"ban_418": 1}


def test_a_partial_fill_then_expiry(ledger):
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "partial_fill", {"fraction": D("0.4")}))
        record = submit(ledger, broker, buy(amount="0.02"), account=broker.account, sleep=waits)
        assert record.status.value == "expired" and record.filled == D("0.008")
        report = reconcile(ledger, broker, account=broker.account)
        assert report.duplicate_fills == 1 and report.new_fills == 0  # the create's answer carried the fill
        assert ledger.holdings() == {"BTC/USDT": D("0.008") - D("0.000008")}


def test_a_refusal_is_rejected_and_no_secret_reaches_the_ledger(ledger):
    with venue() as (emulator, broker, waits):
        record = submit(ledger, broker, buy(amount="5"), account=broker.account, sleep=waits)
        assert record.status.value == "rejected"
        assert ledger.events(record.client_order_id)[-1]["note"].startswith("InsufficientFunds: binance")
        script(emulator, ("create", "lost_response"), ("query", "lost_response"), ("query", "server_5xx"))
        lost = submit(ledger, broker, buy(leg="second"), account=broker.account, sleep=waits)
        assert "RequestTimeout" in ledger.events(lost.client_order_id)[2]["note"]
        assert_no_secret(ledger_text(ledger))
        try:
            script(emulator, ("account", "ban_418"))
            reconcile(ledger, broker, account=broker.account)
        except Exception as exc:  # noqa: BLE001 - its text is what is checked
            assert_no_secret(*error_texts(exc))
        else:
            pytest.fail("a banned reconciliation must fail closed")
