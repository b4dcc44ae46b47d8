"""The daily and weekly reports of a hand-computed paper ledger (ledger_support.py) published on the real
warehouse: positions, trades, orders, fills and the paper portfolio's PnL read back from the PDF (pypdf)
and the workbook (openpyxl), to the cent; once the ledger covers a period the headline is the paper
portfolio's (its risk metrics checked with numpy) and the equal-weight universe's stands beside it."""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal as D

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from include.metrics import risk
from include.reports import headlines
from include.reports.delivery import compose_email
from include.paths import DataPaths
from include.reports.excel import render_workbook
from include.reports.export_readers import LEDGER_EXPORTS
from include.reports.formatting import money, pct, ratio
from include.reports.gather import gather
from include.reports.model import ReportPeriod, ReportSummary
from include.reports.pdf import render_pdf
from include.warehouse.exports import EXPORTED_MARTS, export_marts
from tests.reports import ledger_support as hand
from tests.warehouse.conftest import query

NOW = datetime(2023, 3, 22, 6, 0, tzinfo=timezone.utc)


def cents(value) -> str:
    """The text a money figure prints as: 2 decimals, thousands separated."""
    return f"{D(str(value)).quantize(D('0.01'), rounding=ROUND_HALF_EVEN):,.2f}"


@pytest.fixture(scope="module")
def published(real_warehouse, tmp_path_factory):
    data_dir, _ = hand.published_copy(real_warehouse, tmp_path_factory.mktemp("ledger_report"))
    export_marts(data_dir, EXPORTED_MARTS)
    return data_dir


@pytest.fixture(scope="module")
def weekly(published, tmp_path_factory):
    """The ISO week Monday 13 to Sunday 19 March 2023: order C and its fill t4."""
    data = gather(published, ReportPeriod.covering("weekly", date(2023, 3, 15)), NOW, currency="USD")
    out = tmp_path_factory.mktemp("weekly_files")
    return data, render_pdf(data, out / "w.pdf"), render_workbook(data, out / "w.xlsx")


def pdf_text(path) -> str:
    """The PDF's text with every run of whitespace (table cells come one per line) as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def close_on(data_dir, day: str) -> float:
    return float(query(data_dir, f"select close from int_daily_returns where exchange = '{hand.VENUE}' and "
                                 f"symbol = '{hand.SYMBOL}' and trade_date = '{day}'").close[0])


def test_weekly_report_shows_the_hand_computed_position_and_pnl(published, weekly):
    data, pdf, xlsx = weekly
    close = D(str(close_on(published, "2023-03-19")))  # the period's last day
    unrealised = hand.QUANTITY * (close - hand.AVERAGE_COST)
    equity = hand.CASH + hand.QUANTITY * close
    text = pdf_text(pdf)
    row = f"{hand.VENUE} {hand.SYMBOL} 0.5 {cents(hand.AVERAGE_COST)} {cents(close)} " \
          f"{cents(hand.QUANTITY * close)} {cents(unrealised)} {cents(hand.REALISED_PNL)} {cents(hand.FEES)}"
    assert row in text
    assert f"Equity {cents(equity)} USD" in text
    assert f"Realised PnL (net of fees) {cents(hand.REALISED_PNL)} USD" in text
    assert f"Total PnL {cents(hand.REALISED_PNL + unrealised)} USD" in text
    assert "Cash 92,633.10 USD" in text

    book = openpyxl.load_workbook(xlsx)
    sheet = book["Positions"]
    header = [c.value for c in sheet[2]]
    values = dict(zip(header, [c.value for c in sheet[3]]))
    assert (values["exchange"], values["symbol"], values["quantity"]) == (hand.VENUE, hand.SYMBOL, 0.5)
    for column, expected in (("average_cost", hand.AVERAGE_COST), ("realised_pnl", hand.REALISED_PNL),
                             ("fees", hand.FEES), ("unrealised_pnl", unrealised), ("close", close)):
        assert round(values[column], 2) == float(cents(expected).replace(",", "")), column
    assert values["weight"] == pytest.approx(float(hand.QUANTITY * close / equity))
    history = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], datetime)]
    assert [r[0].date() for r in history] == [date(2023, 3, d) for d in range(10, 20)]
    assert round(history[-1][1], 2) == float(cents(equity).replace(",", ""))  # equity on the 19th


def test_weekly_trades_orders_and_fills_are_the_periods(weekly):
    data, pdf, xlsx = weekly
    assert list(data.orders.order_id) == [hand.ORDER_C.client_order_id]
    assert list(data.fills.trade_id) == ["t4"]
    trade = data.trades.iloc[0]
    assert (trade.side, trade.quantity, trade.price, trade.n_fills) == ("sell", 0.7, 23980.0, 1)
    assert trade.slippage_bps == pytest.approx(hand.SLIPPAGE_BPS["t4"])
    text = pdf_text(pdf)
    assert "2023-03-14 12:00 bus_usd BTC/USD sell 0.7 23,980.00 16.79 8.3 14.00 t4" in text
    book = openpyxl.load_workbook(xlsx)
    orders = book["Orders"]
    header = [c.value for c in orders[2]]
    order = dict(zip(header, [c.value for c in orders[3]]))
    assert (order["status"], order["filled"], order["fees"]) == ("filled", 0.7, pytest.approx(16.786))
    assert order["order_id"] == hand.ORDER_C.client_order_id


def test_daily_report_groups_the_partial_fills_of_an_order(published, tmp_path):
    data = gather(published, ReportPeriod.covering("daily", date(2023, 3, 10)), NOW, currency="USD")
    trade = data.trades.iloc[0]
    assert (trade.order_id, trade.quantity, trade.n_fills) == (hand.ORDER_A.client_order_id, 1.0, 2)
    assert trade.price == pytest.approx(20014.0) and trade.fees == pytest.approx(20.014)
    assert trade.slippage_bps == pytest.approx(7.0)
    book = openpyxl.load_workbook(render_workbook(data, tmp_path / "d.xlsx"))
    trades = book["Trades"]
    header = [c.value for c in trades[2]]
    assert dict(zip(header, [c.value for c in trades[3]]))["order_id"] == hand.ORDER_A.client_order_id
    text = pdf_text(render_pdf(data, tmp_path / "d.pdf"))
    assert "2023-03-10 12:00 bus_usd BTC/USD buy 1 20,014.00 20.01 7.0 2" in text


def test_a_day_without_trades_says_so_and_still_shows_positions(published):
    data = gather(published, ReportPeriod.covering("daily", date(2023, 3, 20)), NOW, currency="USD")
    assert data.missing["trades"] == "no paper trades between 2023-03-20 and 2023-03-20"
    assert data.positions.quantity.tolist() == [0.5]


def test_before_the_ledger_the_sections_say_no_paper_trades_yet(real_warehouse):
    data = gather(real_warehouse, ReportPeriod.covering("daily", date(2023, 3, 10)), NOW)
    assert data.paper is None
    assert data.benchmark is None and data.headline.portfolio == "universe"  # the report as before the ledger
    assert all("no paper trades yet" in data.missing[name] for name in ("positions", "trades", "orders", "fills"))


# --- the headline follows the paper portfolio; the equal-weight universe is its benchmark -------------

def hand_equity(data_dir, day: int) -> D:
    """The paper portfolio's equity at the close of 2023-03-<day>, from the hand-computed fills."""
    if day < 12:
        cash, quantity = D("100000") - D("20014") - D("20.014"), D("1.0")          # after t1, t2
    elif day < 14:
        cash, quantity = D("100000") - D("24112") - D("24.112"), D("1.2")          # after t3
    else:
        cash, quantity = hand.CASH, hand.QUANTITY                                   # after t4
    return cash + quantity * D(str(close_on(data_dir, f"2023-03-{day:02d}")))


def without_ledger(published, target):
    """A data dir holding the published warehouse exports but none of the ledger's: the report before it."""
    source, exports = DataPaths(published).exports, DataPaths(target).exports
    exports.mkdir(parents=True)
    for path in source.glob("*.parquet"):
        if path.stem not in LEDGER_EXPORTS:
            shutil.copy(path, exports / path.name)
    return target


def test_weekly_headline_is_the_paper_portfolio_to_the_cent(published, weekly, tmp_path):
    data, pdf, xlsx = weekly
    h, b = data.headline, data.benchmark
    equity = {day: hand_equity(published, day) for day in range(10, 20)}
    pnl = equity[19] - equity[12]  # no cash moved in the week: the PnL is the change of equity
    assert (h.portfolio, h.label, h.as_of) == ("paper", "Paper portfolio", date(2023, 3, 19))
    assert cents(h.equity) == cents(equity[19]) and cents(h.pnl) == cents(pnl)
    assert h.period_return == pytest.approx(float(equity[19] / equity[12] - 1), rel=1e-9)
    peak = max(equity.values())
    assert h.drawdown == pytest.approx(float(equity[19] / peak - 1), rel=1e-9)
    depth = -float(equity[19] / peak - 1)
    assert h.breaker_level == (3 if depth >= 0.15 else 2 if depth >= 0.10 else 1 if depth >= 0.05 else 0)

    # the risk metrics: the 90-day window holds every ledger day; plain numpy on the hand-computed returns
    returns = np.array([float(equity[d] / equity[d - 1] - 1) for d in range(11, 20)])
    assert h.annual_volatility == pytest.approx(returns.std(ddof=1) * np.sqrt(365), rel=1e-9)
    assert h.sharpe_ratio == pytest.approx(returns.mean() / returns.std(ddof=1) * np.sqrt(365), rel=1e-9)
    assert h.sharpe_ratio == pytest.approx(risk.sharpe_ratio(returns, 365), rel=1e-12)
    assert h.max_drawdown == pytest.approx(risk.max_drawdown(returns), rel=1e-12)
    assert h.var_95 == pytest.approx(-np.quantile(returns, 0.05), rel=1e-12)

    # the benchmark is exactly what the report showed before the ledger: the universe's headline
    before = gather(without_ledger(published, tmp_path), data.period, NOW, currency="USD")
    assert before.benchmark is None and before.headline.portfolio == "universe"
    assert b == before.headline and b.equity is not None and b.sharpe_ratio is not None

    text = pdf_text(pdf)
    first = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "Paper portfolio Benchmark (equal-weight universe)" in first
    assert f"Equity {cents(equity[19])} USD {money(b.equity, 'USD')}" in first
    assert f"PnL for the period {cents(pnl)} USD {money(b.pnl, 'USD')}" in first
    assert f"Sharpe ratio {ratio(h.sharpe_ratio)} {ratio(b.sharpe_ratio)}" in first
    assert f"Annual volatility {pct(h.annual_volatility)} {pct(b.annual_volatility)}" in first
    assert "Distribution of daily returns (equal-weight universe)" in text

    summary = openpyxl.load_workbook(xlsx)["Summary"]
    assert [c.value for c in summary[2]][:4] == ["Figure", "Paper portfolio", "Benchmark (equal-weight universe)",
                                                 "Note"]
    rows = {r[0]: r[1:4] for r in summary.iter_rows(min_row=3, max_row=26, values_only=True) if r[0]}
    assert round(rows["Equity"][0], 2) == float(cents(equity[19]).replace(",", ""))
    assert round(rows["PnL"][0], 2) == float(cents(pnl).replace(",", ""))
    assert rows["Equity"][1] == pytest.approx(b.equity) and rows["PnL"][1] == pytest.approx(b.pnl)
    assert rows["Sharpe ratio"][:2] == (pytest.approx(h.sharpe_ratio), pytest.approx(b.sharpe_ratio))
    assert rows["Circuit breaker"][:2] == (h.breaker_state, b.breaker_state)


def test_the_email_names_the_paper_portfolio_and_its_benchmark(weekly):
    data, pdf, xlsx = weekly
    summary = ReportSummary.from_json(json.loads(json.dumps(ReportSummary.of(data).to_json())))
    assert summary.headline == data.headline and summary.benchmark == data.benchmark
    body = compose_email(summary, [pdf, xlsx], "peak-trade@example.com", ["desk@example.com"]).get_body(
        ("plain",)).get_content().splitlines()
    assert "Paper portfolio as of 2023-03-19, generated 2023-03-22 06:00 UTC." in body
    assert f"Equity:           {money(data.headline.equity, 'USD')}" in body
    assert f"Benchmark (equal-weight universe) as of {data.benchmark.as_of.isoformat()}:" in body
    assert f"  Equity:         {money(data.benchmark.equity, 'USD')}" in body


def test_the_ledger_s_first_day_is_covered_a_week_it_starts_inside_is_not(published, tmp_path):
    first = gather(published, ReportPeriod.covering("daily", date(2023, 3, 10)), NOW, currency="USD")
    equity = hand_equity(published, 10)
    assert first.headline.portfolio == "paper" and first.benchmark is not None
    assert cents(first.headline.equity) == cents(equity)
    assert cents(first.headline.pnl) == cents(equity - D("100000"))  # the first day's PnL: all of it
    assert first.headline.sharpe_ratio is None  # no return yet (the first day has none)

    week = ReportPeriod.covering("weekly", date(2023, 3, 10))  # 6 to 12 March: the ledger starts on the 10th
    partial = gather(published, week, NOW, currency="USD")
    before = gather(without_ledger(published, tmp_path), week, NOW, currency="USD")
    assert partial.benchmark is None and partial.headline == before.headline and before.headline.equity


def test_paper_breaker_level_follows_the_report_s_drawdown_rule():
    """A hand-made paper history: drawdowns of 4.9, 5, 10.1 and 15 % give levels 0, 1, 2 and 3."""
    period = ReportPeriod.covering("daily", date(2024, 1, 4))
    for depth, level in ((0.049, 0), (0.05, 1), (0.101, 2), (0.15, 3)):
        equity = [100_000.0, 110_000.0, 110_000.0 * (1 - depth)]
        frame = pd.DataFrame({"trade_date": [date(2024, 1, d) for d in (2, 3, 4)], "equity": equity,
                              "pnl": [0.0, 10_000.0, equity[2] - equity[1]],
                              "daily_return": [np.nan, 0.1, -depth],
                              "drawdown": [0.0, 0.0, equity[2] / 110_000.0 - 1]})
        assert headlines.covers(frame, period)
        h = headlines.paper(frame, period, 90)
        assert (h.breaker_level, h.pnl, h.period_return) == (level, pytest.approx(equity[2] - equity[1]),
                                                             pytest.approx(-depth))
        assert h.annual_volatility == pytest.approx(np.std([0.1, -depth], ddof=1) * np.sqrt(365))


def test_page_one_shows_whose_money_the_positions_and_the_orders_and_no_page_is_half_empty(weekly):
    from tests.reports.test_pdf import filled

    data, pdf, _ = weekly
    first = " ".join(PdfReader(pdf).pages[0].extract_text().split())
    assert "Whose money: the desk's paper portfolio" in first and "marked as such, the benchmark" in first
    assert f"Positions at the period's end ({len(data.positions)}, largest first)" in first
    assert f"Orders of the period ({len(data.orders)})" in first
    shares = filled(pdf)
    assert all(share >= 0.5 for share in shares[:-1]), [round(x, 2) for x in shares]
