"""The ledger's export for dbt: position_events replay pnl.py fill by fill; cash holds every balance change."""
from decimal import Decimal as D

import pyarrow.parquet as pq

from include.execution.ledger import Fill
from include.execution.ledger_export import export_parquet
from include.execution.orders import make_order
from tests.execution.test_ledger import FILLS, load


def test_position_events_follow_each_fill_and_end_at_the_ledger_positions(ledger, tmp_path):
    load(ledger)
    paths = export_parquet(ledger, tmp_path / "exports")
    events = pq.read_table(paths["position_events"]).to_pylist()
    assert [e["trade_id"] for e in events] == ["t1", "t2", "t3", "t4", "t5"]
    # by hand: buy 1 @ 100 (fee 0.10); buy 0.5 + 0.5 @ 110 -> avg 105; sell 3 @ 120 realises 2 x 15 = 30
    # and flips to -1 @ 120; buy 0.5 @ 100 realises 0.5 x 20 = 10. Fees 0.10 + 0.055 x 2 + 0.36 + 0.05 = 0.62.
    assert [(e["quantity"], e["average_cost"]) for e in events] == [
        (D(1), D(100)), (D("1.5"), D("103.333333333333333333")), (D(2), D(105)), (D(-1), D(120)), (D("-0.5"), D(120))]
    assert [e["realised_gross"] for e in events] == [0, 0, 0, D(30), D(40)]
    assert [e["fees"] for e in events] == [D("0.10"), D("0.155"), D("0.21"), D("0.57"), D("0.62")]
    assert events[-1]["realised_pnl"] == D("39.38")
    last = ledger.positions()["BTC/USDT"]
    assert (events[-1]["quantity"], events[-1]["realised_pnl"]) == (last.quantity, last.realised_pnl)


def test_cash_sums_to_the_ledger_balance_of_the_quote(ledger, tmp_path):
    load(ledger)
    cash = pq.read_table(export_parquet(ledger, tmp_path / "exports")["cash"]).to_pylist()
    assert cash[0] == {"ts_ms": 0, "currency": "USDT", "amount": D(1000), "kind": "deposit", "reference": "initial"}
    assert [(c["kind"], c["reference"]) for c in cash[1:3]] == [("buy", "t1"), ("fill_fee", "t1")]
    # 1000 - 100 - 110 + 360 - 50 - fees 0.62
    assert sum(c["amount"] for c in cash if c["currency"] == "USDT") == D("1099.38") == ledger.balances()["USDT"]


def test_a_fee_in_the_base_currency_is_in_the_position_not_in_cash(ledger, tmp_path):
    order = make_order("r2", "ETH/USDT", "buy", 2, leg="a", arrival_price=10)
    ledger.record_intent(order, venue="paper", ts_ms=0)
    ledger.record_fill(Fill("paper", "e1", "ETH/USDT", "buy", D(2), D(10), 1, D("0.01"), "ETH",
                            order.client_order_id))
    paths = export_parquet(ledger, tmp_path / "exports")
    event = pq.read_table(paths["position_events"]).to_pylist()[0]
    assert (event["quantity"], event["fees"]) == (D("1.99"), D("0.1"))
    assert [(c["kind"], c["amount"]) for c in pq.read_table(paths["cash"]).to_pylist()] == [("buy", D(-20))]
