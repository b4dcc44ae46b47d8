"""The daily and weekly reports of a hand-computed paper ledger (ledger_support.py) published on the real
warehouse: positions, trades, orders, fills and the paper portfolio's PnL read back from the PDF (pypdf)
and the workbook (openpyxl), to the cent."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal as D

import openpyxl
import pytest
from pypdf import PdfReader

from include.reports.excel import render_workbook
from include.reports.gather import gather
from include.reports.model import ReportPeriod
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
    assert "20,093.33" in row and "2,679.77" in row and "40.90" in row
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
    assert all("no paper trades yet" in data.missing[name] for name in ("positions", "trades", "orders", "fills"))
