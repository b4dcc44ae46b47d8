"""The ledger marts on the real warehouse against a hand-computed ledger (tests/reports/ledger_support.py),
fct_desk_runs against two desk runs of it, and fct_daily_returns as include.portfolio.returns reads its export."""
from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from include.execution.desk import run_totals
from include.execution.ledger import DeskRun, Ledger
from include.execution.publish import publish_ledger
from include.paths import DataPaths
from include.portfolio.returns import load_daily_returns
from include.warehouse.exports import EXPORTED_MARTS, export_marts
from tests.reports import ledger_support as hand
from tests.warehouse.conftest import query


def desk_runs(ledger: Ledger) -> list[DeskRun]:
    """paper-1 (orders A and B: t1, t2, t3) as the desk's summary computes it, and a dry-run liquidation preview."""
    fills = [f for f in ledger.fills() if f.trade_id in ("t1", "t2", "t3")]
    totals = run_totals(fills, {o.client_order_id: o.arrival_price for o in (hand.ORDER_A, hand.ORDER_B)})
    paper = DeskRun("paper-1", "rebalance", hand.ms(12, 14), False, 2, 3, 0, 2, totals["notional"], totals["fees"],
                    totals["slippage_cost"], totals["slippage_bps"], "100000", "99975.888",
                    {hand.SYMBOL: 0.0}, {hand.SYMBOL: 0.2468}, [], [])
    preview = [{"symbol": hand.SYMBOL, "side": "sell", "amount": "0.5", "leg": "reduce", "notional": 12000.0,
                "weight_before": 0.12, "weight_after": 0.0}]
    rejections = [{"client_order_id": "x", "symbol": hand.SYMBOL, "rule": "min_notional", "reason": "below 10"}]
    dry = DeskRun("monitor-1:liquidate", "liquidation", hand.ms(15, 0), True, 0, 0, 1, 1, 0, 0, 0, None,
                  "100000", "100000", {hand.SYMBOL: 0.12}, {hand.SYMBOL: 0.12}, rejections, preview)
    return [paper, dry]


@pytest.fixture(scope="module")
def published(real_warehouse, tmp_path_factory):
    """A copy of the real warehouse with the hand-computed ledger and its two desk runs published."""
    data_dir = tmp_path_factory.mktemp("ledger_marts") / "data"
    shutil.copytree(real_warehouse, data_dir)
    ledger = Ledger(DataPaths(data_dir).ledger)
    try:
        hand.record(ledger)
        for run in desk_runs(ledger):
            ledger.record_desk_run(run)
        counts = publish_ledger(ledger, data_dir)
    finally:
        ledger.close()
    return data_dir, counts


def test_an_empty_ledger_builds_empty_marts(real_warehouse):
    for mart in ("fct_orders", "fct_fills", "fct_positions", "fct_pnl", "fct_desk_runs"):
        assert query(real_warehouse, f"select count(*) as n from {mart}").n[0] == 0


def test_publish_builds_and_exports_the_ledger_marts(published):
    data_dir, counts = published
    assert counts == {"fct_positions": 1, "fct_pnl": 24, "fct_orders": 3, "fct_fills": 4,  # 12 days x (symbol + total)
                      "fct_desk_runs": 2}
    for mart in counts:
        assert len(pd.read_parquet(DataPaths(data_dir).export(mart))) == counts[mart]


def test_positions_match_the_hand_computation(published):
    data_dir, _ = published
    pos = query(data_dir, "select * from fct_positions").iloc[0]
    last = query(data_dir, "select trade_date, close from int_daily_returns where exchange = 'bus_usd' "
                           "and symbol = 'BTC/USD' order by trade_date desc limit 1").iloc[0]
    assert (pos.exchange, pos.symbol, pos.mark_date) == (hand.VENUE, hand.SYMBOL, last.trade_date)
    assert pos.quantity == pytest.approx(float(hand.QUANTITY), abs=1e-12)
    assert pos.average_cost == pytest.approx(float(hand.AVERAGE_COST), abs=1e-8)
    assert pos.realised_pnl == pytest.approx(float(hand.REALISED_PNL), abs=1e-8)
    assert pos.fees == pytest.approx(float(hand.FEES), abs=1e-9)
    assert pos.unrealised_pnl == pytest.approx(0.5 * (last.close - float(hand.AVERAGE_COST)), abs=1e-8)


def test_orders_and_fills_status_filled_amount_and_slippage(published):
    data_dir, _ = published
    orders = query(data_dir, "select * from fct_orders").set_index("client_order_id")
    b = orders.loc[hand.ORDER_B.client_order_id]
    assert (b.status, b.filled_amount, b.remaining_amount, b.n_fills) == ("cancelled", 0.2, pytest.approx(0.3), 1)
    a = orders.loc[hand.ORDER_A.client_order_id]
    assert (a.status, a.average_price, a.fees) == ("filled", pytest.approx(20014.0), pytest.approx(20.014))
    assert a.slippage_bps == pytest.approx(7.0)  # (20,014 / 20,000 - 1) x 10,000: a buy above arrival is a cost
    fills = query(data_dir, "select * from fct_fills").set_index("trade_id")
    for trade_id, bps in hand.SLIPPAGE_BPS.items():
        assert fills.loc[trade_id, "slippage_bps"] == pytest.approx(bps, abs=1e-9)
    assert fills.loc["t4", "slippage_quote"] == pytest.approx(14.0)  # sold 20 below arrival x 0.7


def test_daily_pnl_and_equity(published):
    data_dir, _ = published
    pnl = query(data_dir, "select * from fct_pnl where level = 'total' order by trade_date")
    closes = query(data_dir, "select trade_date, close from int_daily_returns where exchange = 'bus_usd' "
                             "and symbol = 'BTC/USD'").set_index("trade_date").close
    assert pnl.trade_date.iloc[0].date() == date(2023, 3, 10)
    last = pnl.iloc[-1]
    assert last.cash == pytest.approx(float(hand.CASH), abs=1e-6)
    assert last.equity == pytest.approx(float(hand.CASH) + 0.5 * closes[last.trade_date], abs=1e-6)
    assert last.total_pnl == pytest.approx(last.equity - 100_000, abs=1e-6)  # the deposit is the only cash in
    assert pnl.pnl.sum() == pytest.approx(last.total_pnl, abs=1e-6)
    day_one = pnl.iloc[0]  # 1 BTC at 20,014 and fees 20.014 paid
    assert day_one.equity == pytest.approx(100_000 - 20_014 - 20.014 + closes[day_one.trade_date], abs=1e-6)


def test_desk_runs_show_the_hand_computed_run_and_the_preview(published):
    data_dir, _ = published
    runs = query(data_dir, "select * from fct_desk_runs").set_index("run_id")
    paper = runs.loc["paper-1"]
    # t1 0.6 @ 20,010, t2 0.4 @ 20,020 (arrival 20,000), t3 0.2 @ 20,490 (arrival 20,500)
    assert (paper.kind, paper.dry_run, paper.n_orders, paper.n_fills) == ("rebalance", False, 2, 3)
    assert paper.notional == pytest.approx(24_112.0) and paper.fees == pytest.approx(24.112)
    assert paper.slippage_cost == pytest.approx(0.6 * 10 + 0.4 * 20 - 0.2 * 10)  # + = a cost
    assert paper.slippage_bps == pytest.approx(12 / (20_000 + 0.2 * 20_500) * 10_000)
    assert paper.turnover == pytest.approx(0.24112) and paper.equity_change == pytest.approx(-24.112)
    assert paper.run_date.date() == date(2023, 3, 12)
    # the fills' slippage of fct_fills adds up to the run's
    fills = query(data_dir, "select sum(slippage_quote) as s from fct_fills where trade_id in ('t1', 't2', 't3')")
    assert fills.s[0] == pytest.approx(paper.slippage_cost)
    dry = runs.loc["monitor-1:liquidate"]
    assert (dry.kind, dry.dry_run, dry.n_orders, dry.n_proposed, dry.n_rejected) == ("liquidation", True, 0, 1, 1)
    assert pd.isna(dry.slippage_bps) and dry.notional == 0
    json_fields = query(data_dir, "select preview->>'$[0].side' as side, rejections->>'$[0].rule' as rule, "
                                  "weights_after->>'$.\"BTC/USD\"' as weight from fct_desk_runs "
                                  "where run_id = 'monitor-1:liquidate'").iloc[0]
    assert (json_fields.side, json_fields.rule, float(json_fields.weight)) == ("sell", "min_notional", 0.12)
    exported = pd.read_parquet(DataPaths(data_dir).export("fct_desk_runs"))
    assert sorted(exported.run_id) == ["monitor-1:liquidate", "paper-1"]


def test_fct_daily_returns_export_is_what_load_daily_returns_reads(real_warehouse, tmp_path):
    assert "fct_daily_returns" in EXPORTED_MARTS
    written = export_marts(real_warehouse, ("fct_daily_returns",))
    frame = pd.read_parquet(written["fct_daily_returns"][0])
    assert {"exchange", "symbol", "trade_date", "daily_return", "days_spanned"} <= set(frame.columns)
    returns = load_daily_returns(DataPaths(real_warehouse).exports, ["BTC/USD"], 30, exchange="bus_usd")
    expected = frame[(frame.exchange == "bus_usd") & (frame.days_spanned == 1)].set_index("trade_date").daily_return
    assert len(returns) >= 15
    for day, value in returns["BTC/USD"].items():
        assert value == pytest.approx(expected[day.date()])
