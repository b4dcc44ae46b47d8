"""The ledger on SQLite and PostgreSQL: positions and PnL to the cent, unique ids, dedup, append-only, export,
desk run summaries."""
import json
from decimal import Decimal as D

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from include.execution.errors import IllegalTransition, LedgerError
from include.execution.ledger import DeskRun, Fill, Ledger
from include.execution.ledger_export import export_parquet
from include.execution.orders import make_order
from include.execution.pnl import replay

BUY_A = make_order("r1", "BTC/USDT", "buy", 1, leg="a", arrival_price=100)
BUY_B = make_order("r1", "BTC/USDT", "buy", 1, leg="b", arrival_price=110)
SELL = make_order("r1", "BTC/USDT", "sell", 3, leg="flip", arrival_price=120)
COVER = make_order("r1", "BTC/USDT", "buy", "0.5", leg="cover", arrival_price=100)


def fill(trade_id, order, amount, price, fee, ts):
    return Fill("paper", trade_id, order.symbol, order.side, D(amount), D(price), ts, D(fee), "USDT",
                order.client_order_id)


# buy 1 @ 100; buy 1 @ 110 in two partial fills; sell 3 @ 120 (flip to -1); buy 0.5 @ 100 (partial cover)
FILLS = [fill("t1", BUY_A, "1", "100", "0.10", 1), fill("t2", BUY_B, "0.5", "110", "0.055", 2),
         fill("t3", BUY_B, "0.5", "110", "0.055", 3), fill("t4", SELL, "3", "120", "0.36", 4),
         fill("t5", COVER, "0.5", "100", "0.05", 5)]


def load(ledger):
    ledger.record_cash("USDT", "1000", kind="deposit", ts_ms=0, reference="initial")
    for order in (BUY_A, BUY_B, SELL, COVER):
        ledger.record_intent(order, venue="paper", ts_ms=0)
    for f in FILLS:
        assert ledger.record_fill(f)


def test_positions_and_pnl_by_average_cost_to_the_cent(ledger):
    load(ledger)
    (row,) = ledger.pnl({"BTC/USDT": 90})
    # after the buys: 2 @ average 105; the sale closes 2 (+30) and opens -1 @ 120; the cover closes 0.5 (+10)
    assert row["quantity"] == D("-0.5") and row["average_cost"] == D(120)
    assert row["realised_gross"] == D(40)
    assert row["fees"] == D("0.62")
    assert row["realised_pnl"] == D("39.38")
    assert row["unrealised_pnl"] == D(15)          # -0.5 x (90 - 120)
    assert row["total_pnl"] == D("54.38")          # = cash flows -100 -110 +360 -50 -0.62 plus -0.5 x 90
    assert ledger.balances() == {"USDT": D("1099.38"), "BTC": D("-0.5")}
    assert ledger.holdings() == {"BTC/USDT": D("-0.5")}


def test_partial_fills_average_in_and_the_flip_opens_at_the_fill_price():
    first = replay(FILLS[:3])["BTC/USDT"]
    assert (first.quantity, first.average_cost, first.realised_gross, first.fees) == (D(2), D(105), D(0), D("0.21"))
    flipped = replay(FILLS[:4])["BTC/USDT"]
    assert (flipped.quantity, flipped.average_cost, flipped.realised_gross) == (D(-1), D(120), D(30))


def test_the_same_client_order_id_returns_the_existing_order(ledger):
    record, created = ledger.record_intent(BUY_A, venue="paper", ts_ms=1)
    again, created_again = ledger.record_intent(BUY_A, venue="paper", ts_ms=2)
    assert created and not created_again
    assert again == record and again.created_ms == 1
    assert len(ledger.orders()) == 1


def test_a_fill_seen_twice_is_stored_once(ledger):
    ledger.record_intent(BUY_A, venue="paper")
    assert ledger.record_fill(FILLS[0]) is True
    assert ledger.record_fill(FILLS[0]) is False
    assert len(ledger.fills()) == 1


def test_events_follow_the_state_machine(ledger):
    ledger.record_intent(BUY_A, venue="paper")
    cid = BUY_A.client_order_id
    assert ledger.record_event(cid, "submitted")
    assert ledger.record_event(cid, "accepted", venue_order_id="42", raw_status="open")
    assert ledger.record_event(cid, "partially_filled", filled="0.4")
    assert ledger.record_event(cid, "partially_filled", filled="0.4") is False  # nothing new
    assert ledger.record_event(cid, "cancelled", raw_status="canceled")
    assert ledger.record_event(cid, "filled", filled="1")                        # a late fill
    with pytest.raises(IllegalTransition, match=f"order {cid}: illegal transition filled -> accepted"):
        ledger.record_event(cid, "accepted")
    record = ledger.order(cid)
    assert (record.status.value, record.venue_order_id, record.filled) == ("filled", "42", D(1))
    assert [e["status"] for e in ledger.events(cid)] == ["new", "submitted", "accepted", "partially_filled",
                                                         "cancelled", "filled"]
    with pytest.raises(LedgerError, match="order nope is not in the ledger"):
        ledger.record_event("nope", "submitted")


def test_open_quantities_count_unfilled_open_orders(ledger):
    load(ledger)
    extra = make_order("r2", "BTC/USDT", "sell", 2, arrival_price=100)
    ledger.record_intent(extra, venue="paper")
    ledger.record_event(extra.client_order_id, "submitted")
    ledger.record_intent(make_order("r2", "ETH/USDT", "buy", 1), venue="paper")  # new: not sent, not open
    assert ledger.open_quantities() == {"BTC/USDT": D(-2)}


def test_tables_are_append_only(ledger):
    ledger.record_intent(BUY_A, venue="paper")
    orders = ledger.t["orders"]
    for statement in (orders.update().values(amount="5"), orders.delete()):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with ledger.engine.begin() as conn:
                conn.execute(statement)
    assert ledger.order(BUY_A.client_order_id).intent.amount == D(1)


def test_a_fill_of_an_unknown_order_is_refused(ledger):
    with pytest.raises(LedgerError, match="fill t1: order .* is not in the ledger"):
        ledger.record_fill(FILLS[0])


def test_export_parquet(ledger, tmp_path):
    load(ledger)
    paths = export_parquet(ledger, tmp_path / "exports", marks={"BTC/USDT": 90})
    assert sorted(paths) == ["cash", "desk_runs", "fills", "orders", "pnl", "position_events", "positions"]
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == \
        ["cash.parquet", "desk_runs.parquet", "fills.parquet", "orders.parquet", "pnl.parquet",
         "position_events.parquet", "positions.parquet"]
    pnl = pq.read_table(paths["pnl"]).to_pylist()[0]
    assert pnl["total_pnl"] == D("54.38") and pnl["quantity"] == D("-0.5")
    assert pq.read_table(paths["fills"]).num_rows == 5
    assert pq.read_table(paths["orders"]).column("status").to_pylist() == ["new"] * 4


def desk_run(run_id="r1", kind="rebalance", dry_run=False, ts_ms=10, **overrides):
    fields = dict(run_id=run_id, kind=kind, ts_ms=ts_ms, dry_run=dry_run, orders=2, fills=3, rejected=1, proposed=3,
                  notional="420", fees="0.42", slippage_cost="1.5", slippage_bps="35.7142857142857142857142857",
                  equity_before="1000", equity_after="998.08", weights_before={"BTC/USDT": 0.0},
                  weights_after={"BTC/USDT": 0.25},
                  rejections=[{"client_order_id": "c3", "symbol": "ETH/USDT", "rule": "min_notional",
                               "reason": "5 below 10"}],
                  preview=[{"symbol": "BTC/USDT", "side": "buy", "amount": "2", "notional": 200.0}])
    return DeskRun(**(fields | overrides))


def test_a_desk_run_is_stored_once_per_run_and_kind(ledger):
    assert ledger.record_desk_run(desk_run()) is True
    assert ledger.record_desk_run(desk_run(ts_ms=99, orders=7)) is False     # a re-run keeps the first row
    assert ledger.record_desk_run(desk_run(kind="liquidation")) is True      # another kind of the same run id
    assert ledger.record_desk_run(desk_run("r2", dry_run=True, orders=0, fills=0, notional=0, fees=0,
                                           slippage_cost=0, slippage_bps=None)) is True
    runs = ledger.desk_runs()
    assert [(r["run_id"], r["kind"], r["ts_ms"], r["orders"]) for r in runs] == [
        ("r1", "rebalance", 10, 2), ("r1", "liquidation", 10, 2), ("r2", "rebalance", 10, 0)]
    first = runs[0]
    assert (first["notional"], first["fees"], first["equity_after"]) == (D(420), D("0.42"), D("998.08"))
    assert first["slippage_bps"] == D("35.7142857142857142857142857")
    assert json.loads(first["weights_after"]) == {"BTC/USDT": 0.25}
    assert json.loads(first["rejections"])[0]["rule"] == "min_notional"
    assert runs[2]["dry_run"] is True and runs[2]["slippage_bps"] is None


def test_desk_runs_are_append_only(ledger):
    ledger.record_desk_run(desk_run())
    runs = ledger.t["desk_runs"]
    for statement in (runs.update().values(orders=5), runs.delete()):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with ledger.engine.begin() as conn:
                conn.execute(statement)
    assert ledger.desk_runs()[0]["orders"] == 2


def test_a_desk_run_of_an_unknown_kind_is_refused():
    with pytest.raises(LedgerError, match="desk run r1: kind 'sweep' is invalid; valid: rebalance, flatten, "
                                          "liquidation"):
        desk_run(kind="sweep")


def test_desk_runs_are_exported_with_json_as_text(ledger, tmp_path):
    ledger.record_desk_run(desk_run())
    ledger.record_desk_run(desk_run("r2", "flatten", dry_run=True, slippage_bps=None))
    rows = pq.read_table(export_parquet(ledger, tmp_path / "exports")["desk_runs"]).to_pylist()
    assert [(r["run_id"], r["kind"], r["dry_run"]) for r in rows] == [("r1", "rebalance", False), ("r2", "flatten", True)]
    assert rows[0]["slippage_bps"] == D("35.714285714285714286")  # decimal(38, 18), half even
    assert rows[0]["notional"] == D(420) and rows[1]["slippage_bps"] is None
    assert json.loads(rows[0]["preview"]) == [{"amount": "2", "notional": 200.0, "side": "buy", "symbol": "BTC/USDT"}]


def test_sqlite_is_in_wal_mode(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    with led.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    led.close()
    with pytest.raises(LedgerError, match="ledger target 'mysql://x' is invalid"):
        Ledger("mysql://x")


def test_a_ledger_url_never_shows_its_password(tmp_path):
    from include.execution.ledger import LedgerError, masked

    assert masked("postgresql+psycopg://desk:s3cr3t-pw@db.example:5432/ledger") == \
        "postgresql+psycopg://desk:***@db.example:5432/ledger"
    with pytest.raises(LedgerError, match=r"^ledger target 'mysql://desk:\*\*\*@db/ledger' is invalid") as raised:
        Ledger("mysql://desk:s3cr3t-pw@db/ledger")
    assert "s3cr3t-pw" not in str(raised.value)
    assert Ledger(tmp_path / "l.sqlite").where == f"sqlite:///{tmp_path / 'l.sqlite'}"
