"""The order path: written before it is sent, sent once, an unknown outcome left for reconciliation."""
from decimal import Decimal as D

import ccxt

from include.backtest.config import Costs
from include.execution.orders import make_order
from include.execution.paper_broker import Candle, PaperBroker
from include.execution.submit import cancel, submit
from tests.execution.support import BTC


class RecordingBroker(PaperBroker):
    """The paper venue, noting what the ledger held for each order at the moment it was sent."""

    def __init__(self, ledger, **kw):
        super().__init__({"BTC/USDT": BTC}, {"USDT": 10_000}, Costs.zero(), **kw)
        self.ledger, self.seen = ledger, []

    def create_order(self, symbol, type, side, amount, price=None, params=None):
        record = self.ledger.order(params["clientOrderId"])
        self.seen.append(None if record is None else (record.intent.amount, record.status.value))
        return super().create_order(symbol, type, side, amount, price, params)


class AnswerLostBroker(RecordingBroker):
    """The order reaches the venue, the answer does not reach us."""

    def create_order(self, *args, **kwargs):
        super().create_order(*args, **kwargs)
        raise ccxt.RequestTimeout("read timed out")


def venue(cls, ledger):
    broker = cls(ledger)
    broker.set_candle("BTC/USDT", Candle(1_000, 100.0, 101.0, 99.0, 100.5))
    return broker


def test_the_order_is_in_the_ledger_before_the_broker_is_called(ledger):
    broker = venue(RecordingBroker, ledger)
    record = submit(ledger, broker, make_order("r", "BTC/USDT", "buy", "0.5", arrival_price=100))
    assert broker.seen == [(D("0.5"), "submitted")]
    assert record.status.value == "filled" and record.venue_order_id == "1"
    (fill,) = ledger.fills()
    assert (fill.amount, fill.price, fill.client_order_id) == (D("0.5"), D("100.0"), record.client_order_id)


def test_a_retry_finds_the_order_and_sends_nothing(ledger):
    broker = venue(RecordingBroker, ledger)
    order = make_order("r", "BTC/USDT", "buy", "0.5", arrival_price=100)
    first = submit(ledger, broker, order)
    second = submit(ledger, broker, order)
    assert second == first
    assert len(broker.seen) == 1 and len(broker.orders) == 1 and len(ledger.orders()) == 1


def test_a_venue_refusal_is_recorded_as_rejected(ledger):
    broker = venue(RecordingBroker, ledger)
    record = submit(ledger, broker, make_order("r", "BTC/USDT", "buy", 500, arrival_price=100))
    assert record.status.value == "rejected"
    assert ledger.events(record.client_order_id)[-1]["note"].startswith("InsufficientFunds: paper needs")


def test_a_lost_answer_leaves_the_order_unknown_and_is_not_resent(ledger):
    broker = venue(AnswerLostBroker, ledger)
    order = make_order("r", "BTC/USDT", "buy", "0.5", arrival_price=100)
    assert submit(ledger, broker, order).status.value == "unknown"
    assert submit(ledger, broker, order).status.value == "unknown"
    assert len(broker.orders) == 1


def test_cancel_an_open_limit_order(ledger):
    broker = venue(RecordingBroker, ledger)
    order = make_order("r", "BTC/USDT", "buy", "0.5", type="limit", limit_price=90, arrival_price=100)
    assert submit(ledger, broker, order).status.value == "accepted"
    assert cancel(ledger, broker, order.client_order_id).status.value == "cancelled"
    assert [e["status"] for e in ledger.events(order.client_order_id)] == \
        ["new", "submitted", "accepted", "pending_cancel", "cancelled"]
