"""The report workbook, written from sample reports and read back with openpyxl."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime, timedelta, timezone

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, LineChart
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.writer.excel import ExcelWriter

from include.reports.excel import NOTHING, SHEETS, render_workbook
from include.reports.excel_sheets import PRICE, QUANTITY, cell_value
from tests.reports.support import sample_report

MONEY, PERCENT, RATIO = '#,##0.00 "USDT"', "0.00%", "0.00"
HEADLINE = {  # Summary label -> (Headline field, number format)
    "Equity": ("equity", MONEY), "PnL": ("pnl", MONEY), "Period return": ("period_return", PERCENT),
    "Annual return": ("annual_return", PERCENT), "Annual volatility": ("annual_volatility", PERCENT),
    "Sharpe ratio": ("sharpe_ratio", RATIO), "Sortino ratio": ("sortino_ratio", RATIO),
    "Calmar ratio": ("calmar_ratio", RATIO), "Max drawdown": ("max_drawdown", PERCENT),
    "VaR 95 %": ("var_95", PERCENT), "CVaR 95 %": ("cvar_95", PERCENT), "VaR 99 %": ("var_99", PERCENT),
    "CVaR 99 %": ("cvar_99", PERCENT), "Drawdown": ("drawdown", PERCENT),
}


def _stored(value: float) -> float:
    """The float as the file holds it: openpyxl 3.1.5 writes numbers as '%.16g', one digit short of a
    round trip, so 131667.26843733242 comes back as 131667.2684373324 (a relative 1e-16)."""
    return float("%.16g" % value)


REPORTS = {"daily": dict(kind="daily"), "weekly": dict(kind="weekly"), "empty": dict(kind="daily", empty=True)}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """name -> (ReportData, path, workbook loaded back)."""
    folder = tmp_path_factory.mktemp("xlsx")
    out = {}
    for name, kwargs in REPORTS.items():
        data = sample_report(**kwargs)
        path = render_workbook(data, folder / f"{name}.xlsx")
        out[name] = (data, path, openpyxl.load_workbook(path))
    return out


@pytest.fixture(params=list(REPORTS))
def report(request, written):
    return written[request.param]


@pytest.fixture(params=["daily", "weekly"])
def full(request, written):
    return written[request.param]


def _rows_by_label(ws, column: int = 1) -> dict[str, int]:
    return {ws.cell(row, column).value: row for row in range(1, ws.max_row + 1)
            if isinstance(ws.cell(row, column).value, str)}


def _texts(ws) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def _find(ws, text: str):
    hits = [c for row in ws.iter_rows() for c in row if c.value == text]
    assert hits, f"{text!r} not on {ws.title}"
    return hits[0]


def _bounds(formula: str) -> tuple[str, tuple[int, int, int, int]]:
    sheet, cells = formula.rsplit("!", 1)
    return sheet.strip("'"), range_boundaries(cells.replace("$", ""))


def _rules(ws) -> dict[str, list]:
    return {str(cf.sqref): list(cf.rules) for cf in ws.conditional_formatting}


# --- the package ---------------------------------------------------------------------------------

def test_sheets_in_order(report):
    _, path, book = report
    assert path.suffix == ".xlsx" and path.exists()
    assert book.sheetnames == list(SHEETS) == ["Summary", "Metrics", "Positions", "Trades", "Orders",
                                                "WalkForward", "Sweeps", "DataQuality"]


def test_valid_ooxml_package(report):
    _, path, book = report
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "[Content_Types].xml" in names and "xl/workbook.xml" in names
        xml_parts = [n for n in names if n.endswith((".xml", ".rels"))]
        assert len(xml_parts) >= len(SHEETS) + 4
        for name in xml_parts:
            ET.fromstring(archive.read(name))  # raises on a malformed part
    streamed = openpyxl.load_workbook(path, read_only=True)
    try:
        assert streamed.sheetnames == list(SHEETS)
        for name in SHEETS:
            fast = [row for row in streamed[name].iter_rows(values_only=True) if any(v is not None for v in row)]
            slow = [row for row in book[name].iter_rows(values_only=True) if any(v is not None for v in row)]
            assert fast == slow, name
    finally:
        streamed.close()


# --- values and formats --------------------------------------------------------------------------

def test_summary_headline_values_and_formats(full):
    data, _, book = full
    ws, h = book["Summary"], data.headline
    assert ws["A1"].value == data.period.title
    rows = _rows_by_label(ws)
    for label, (name, number_format) in HEADLINE.items():
        cell, expected = ws.cell(rows[label], 2), getattr(h, name)
        assert cell.data_type == "n" and isinstance(cell.value, float), label
        assert cell.value == _stored(expected), label  # the float unrounded, as the file stores it
        assert math.isclose(cell.value, expected, rel_tol=1e-15, abs_tol=0), label
        assert cell.number_format == number_format, label
        if number_format == MONEY:
            assert round(cell.value, 2) == round(expected, 2)
    start, end = ws.cell(rows["Period start"], 2), ws.cell(rows["Period end"], 2)
    assert start.is_date and start.value == datetime.combine(data.period.start, datetime.min.time())
    assert end.is_date and end.value == datetime.combine(data.period.end, datetime.min.time())
    assert start.number_format == end.number_format == "yyyy-mm-dd"
    assert any("UTC" in label for label in rows if "Generated" in label)
    generated = ws.cell(next(r for label, r in rows.items() if label.startswith("Generated")), 2)
    assert generated.is_date and generated.value == datetime(2024, 6, 3, 6, 30) and generated.value.tzinfo is None
    assert generated.number_format == "yyyy-mm-dd hh:mm"
    as_of = ws.cell(rows["As of"], 2)
    assert as_of.is_date and as_of.value.date() == h.as_of
    assert ws.cell(rows["Circuit breaker"], 2).value == h.breaker_state
    level = ws.cell(rows["Circuit breaker level"], 2)
    assert level.value == h.breaker_level and level.data_type == "n"
    window = ws.cell(rows["Metrics window"], 2)
    assert window.value == h.metrics_window_days == 90 and "days" in window.number_format
    texts = _texts(ws)
    assert "Needs attention" in texts and all(line in texts for line in data.attention)
    assert NOTHING not in texts


def test_every_cell_is_a_number_date_or_text_that_is_not_a_number(report):
    _, _, book = report
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    assert value.strip(), f"{ws.title}!{cell.coordinate}: empty text"
                    assert value.lower() not in ("nan", "nat", "none", "inf", "<na>"), f"{ws.title}!{cell.coordinate}"
                    digits = value.replace(",", "")
                    not_a_number = f"^could not convert string to float: {re.escape(repr(digits))}$"
                    with pytest.raises(ValueError, match=not_a_number):
                        float(digits)
                elif isinstance(value, float):
                    assert math.isfinite(value)
                if isinstance(value, datetime):
                    assert cell.is_date and cell.number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")


def test_tables_hold_numbers_and_dates(full):
    data, _, book = full
    ws = book["Metrics"]
    header = {ws.cell(2, c).value: c for c in range(1, 7)}
    assert list(header) == ["trade_date", "daily_return", "equity", "pnl", "drawdown", "breaker_level"]
    formats = {"daily_return": PERCENT, "equity": MONEY, "pnl": MONEY, "drawdown": PERCENT, "breaker_level": "0"}
    for i, record in enumerate(data.equity.itertuples(index=False)):
        row = 3 + i
        day = ws.cell(row, header["trade_date"])
        assert day.is_date and day.value.date() == record.trade_date and day.number_format == "yyyy-mm-dd"
        for name, number_format in formats.items():
            cell = ws.cell(row, header[name])
            assert cell.data_type == "n" and cell.value == _stored(getattr(record, name)), (row, name)
            assert cell.number_format == number_format, (row, name)
    assert ws.cell(3 + len(data.equity), 1).value is None

    performers = _find(ws, "period_return")
    for i, value in enumerate(data.performers["period_return"]):
        cell = ws.cell(performers.row + 1 + i, performers.column)
        assert cell.value == value and cell.number_format == PERCENT
    stress = _find(ws, "window_start")
    first, blank = ws.cell(stress.row + 1, stress.column), ws.cell(stress.row + 4, stress.column)
    assert first.is_date and first.value == datetime(2024, 3, 5)
    assert blank.value is None  # None in the frame: an empty cell

    sweeps = book["Sweeps"]
    columns = {sweeps.cell(2, c).value: c for c in range(1, sweeps.max_column + 1)}
    loaded = sweeps.cell(3, columns["loaded_at"])
    assert loaded.is_date and loaded.value == datetime(2024, 6, 1, 2, 5) and loaded.number_format == "yyyy-mm-dd hh:mm"
    assert sweeps.cell(3, columns["params"]).value == data.sweeps_best["params"].iloc[0]
    assert sweeps.cell(3, columns["sharpe_ratio"]).number_format == RATIO
    assert sweeps.cell(3, columns["total_return"]).number_format == PERCENT
    assert [sweeps.cell(r, columns["verdict"]).value for r in (3, 4)] == list(data.sweeps_best["verdict"])
    assert sweeps.cell(3, columns["dsr"]).number_format == RATIO

    quality = book["DataQuality"]
    counts = {quality.cell(r, 1).value: quality.cell(r, 2).value for r in range(3, 7)}
    assert counts == data.quality_counts()
    header_row = _find(quality, "detail").row
    for i, record in enumerate(data.quality.itertuples(index=False)):
        day = quality.cell(header_row + 1 + i, 4)
        assert day.is_date and day.value.date() == record.date
        assert quality.cell(header_row + 1 + i, 5).value == record.status
        assert quality.cell(header_row + 1 + i, 6).value == (record.detail or None)


def _shown_length(cell) -> int:
    """The characters a written cell shows, by excel_sheets' width rule, read off its value and format:
    a header its name plus 3 (the filter arrow), a date 10 and a datetime 16, a percent '12.34%',
    money '1,234.56' plus 6 (the currency), a price or quantity up to 8 decimals plus 2, another
    number '1,234.56', a text its length."""
    value, fmt = cell.value, cell.number_format
    if cell.fill.fgColor.rgb == "00D9D9D9":  # the header fill
        return len(value) + 3
    if isinstance(value, datetime):
        return 16 if "h" in fmt else 10
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt == PERCENT:
            return len(f"{value * 100:.2f}%")
        if fmt == MONEY:
            return len(f"{value:,.2f}") + 6
        if fmt in (PRICE, QUANTITY):
            return len(f"{value:,.8f}".rstrip("0")) + 2
        return len(f"{value:,.2f}")
    return len(str(value))


def _is_line(ws, cell, summary_lines: range) -> bool:
    """A sentence left to overflow, not measured: a title, heading or note (italic), or one of the
    Summary's lines between the figures and the Allocation table."""
    if cell.font.italic or (cell.font.sz or 0) >= 12:
        return True
    return ws.title == "Summary" and cell.column == 1 and cell.row in summary_lines


def test_column_widths_follow_content(full):
    """Each column's width is its longest measured cell plus 2, within [8, 60]."""
    _, _, book = full
    for ws in book:
        summary_lines = range(0)
        if ws.title == "Summary":
            rows = _rows_by_label(ws)
            summary_lines = range(rows["Metrics window"] + 1, rows["Allocation"])
        longest: dict[int, int] = {}
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None and not _is_line(ws, cell, summary_lines):
                    longest[cell.column] = max(longest.get(cell.column, 0), _shown_length(cell))
        expected = {get_column_letter(col): min(max(length + 2, 8), 60) for col, length in longest.items()}
        assert {key: d.width for key, d in ws.column_dimensions.items() if d.width} == expected, ws.title
    quality = book["DataQuality"]
    assert quality.column_dimensions["F"].width > quality.column_dimensions["C"].width  # detail > timeframe


# --- frozen headers, filters, marks --------------------------------------------------------------

def test_frozen_headers_and_autofilters(report):
    data, _, book = report
    n = len(data.equity)
    header = _find(book["DataQuality"], "detail").row
    figures = _rows_by_label(book["Summary"])["Metrics window"]  # the last row of the figures
    expected = {
        "Summary": ("A3", f"A2:C{figures}"), "Metrics": ("A3", f"A2:F{2 + n}"), "Positions": ("A3", "A2:L2"),
        "Trades": ("A3", "A2:L2"), "Orders": ("A3", "A2:O2"), "Sweeps": ("A3", f"A2:O{2 + len(data.sweeps_best)}"),
        "WalkForward": ("A3", f"A2:M{2 + len(data.sweeps_walk_forward)}"),
        "DataQuality": (f"A{header + 1}", f"A{header}:F{header + len(data.quality)}"),
    }
    for name, (freeze, ref) in expected.items():
        ws = book[name]
        assert ws.freeze_panes == freeze, name
        assert ws.auto_filter.ref == ref, name
        first = range_boundaries(ws.auto_filter.ref)
        assert all(isinstance(ws.cell(first[1], c).value, str) for c in range(first[0], first[2] + 1)), name
        assert all(ws.cell(first[1], c).font.b for c in range(first[0], first[2] + 1)), name


def _covers(rules: dict[str, list], ref: str, kind: str, operator: str | None = None, formula: str | None = None):
    hits = [r for r in rules.get(ref, []) if r.type == kind and (operator is None or r.operator == operator)
            and (formula is None or formula in "".join(r.formula))]
    assert hits, f"no {kind} {operator} rule on {ref}: {rules}"
    for rule in hits:  # reads in black and white: bold text on a fill
        assert rule.dxf.font.b and rule.dxf.fill is not None


def test_losses_and_breaches_are_marked(full):
    data, _, book = full
    last = 2 + len(data.equity)
    metrics = _rules(book["Metrics"])
    _covers(metrics, f"B3:B{last}", "cellIs", "lessThan", "0")            # daily_return
    _covers(metrics, f"D3:D{last}", "cellIs", "lessThan", "0")            # pnl
    _covers(metrics, f"E3:E{last}", "cellIs", "lessThan", "-0.05")        # drawdown
    _covers(metrics, f"F3:F{last}", "cellIs", "greaterThanOrEqual", "1")  # breaker_level
    performers = _find(book["Metrics"], "period_return")
    letter = performers.column_letter
    _covers(metrics, f"{letter}3:{letter}{2 + len(data.performers)}", "cellIs", "lessThan", "0")

    quality = book["DataQuality"]
    header = _find(quality, "detail").row
    _covers(_rules(quality), f"E{header + 1}:E{header + len(data.quality)}", "expression", formula="quarantined")
    _covers(_rules(quality), f"E{header + 1}:E{header + len(data.quality)}", "expression", formula="flagged")

    summary, rows = _rules(book["Summary"]), _rows_by_label(book["Summary"])
    _covers(summary, f"B{rows['PnL']}", "cellIs", "lessThan", "0")
    _covers(summary, f"B{rows['Drawdown']}", "cellIs", "lessThan", "-0.05")
    _covers(summary, f"B{rows['Circuit breaker level']}", "cellIs", "greaterThanOrEqual", "1")


# --- charts --------------------------------------------------------------------------------------

def test_charts_reference_the_data(full):
    data, _, book = full
    charts = book["Summary"]._charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart", "LineChart"]
    line = next(c for c in charts if isinstance(c, LineChart))
    series = [s for part in line._charts for s in part.series]
    assert len(series) == 2
    last = 2 + len(data.equity)
    metrics = book["Metrics"]
    for s, column in zip(series, ("equity", "drawdown")):
        sheet, (c1, r1, c2, r2) = _bounds(s.val.numRef.f)
        assert sheet == "Metrics" and c1 == c2 and (r1, r2) == (3, last)
        assert metrics.cell(2, c1).value == column
    sheet, (c1, r1, c2, r2) = _bounds(series[0].cat.numRef.f)
    assert sheet == "Metrics" and metrics.cell(2, c1).value == "trade_date" and (r1, r2) == (3, last)

    bar = next(c for c in charts if isinstance(c, BarChart))
    (s,) = bar.series
    sheet, (c1, r1, c2, r2) = _bounds(s.val.numRef.f)
    summary = book[sheet]
    assert sheet == "Summary" and r2 - r1 + 1 == len(data.allocation)
    assert [summary.cell(r, c1).value for r in range(r1, r2 + 1)] == list(data.allocation["weight"])
    assert summary.cell(r1 - 1, c1).value == "weight" and summary.cell(r1, c1).number_format == PERCENT
    sheet, (c1, r1, c2, r2) = _bounds(s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f)
    assert [summary.cell(r, c1).value for r in range(r1, r2 + 1)] == list(data.allocation["series"])


# --- missing data --------------------------------------------------------------------------------

def test_execution_sections_say_why_they_are_empty(report):
    data, _, book = report
    for name, sheet in (("positions", "Positions"), ("trades", "Trades"), ("orders", "Orders")):
        ws = book[sheet]
        assert ws["A3"].value == data.missing[name] and "no paper trades yet" in ws["A3"].value
    trades = book["Trades"]
    fills = _find(trades, "Fills")
    assert trades.cell(fills.row + 1, 1).value == "ts"
    assert trades.cell(fills.row + 2, 1).value == data.missing["fills"]
    assert [c.value for c in book["Positions"][2]] == [
        "exchange", "symbol", "quantity", "average_cost", "close", "value", "weight", "unrealised_pnl", "realised_pnl",
        "fees", "total_pnl", "as_of_date"]


def test_empty_report_shows_reasons_not_blanks(written):
    data, _, book = written["empty"]
    summary = book["Summary"]
    rows = _rows_by_label(summary)
    assert all(summary.cell(rows[label], 2).value is None for label in HEADLINE)
    assert summary.cell(rows["Circuit breaker"], 2).value == "unknown"
    texts = _texts(summary)
    assert NOTHING in texts and any(data.missing["headline"] in t for t in texts)
    assert data.missing["allocation"] in texts
    assert summary._charts == []
    metrics = book["Metrics"]
    assert metrics["A3"].value == data.missing["equity"]
    assert {data.missing["performers"], data.missing["stress"]} <= set(_texts(metrics))
    assert book["Sweeps"]["A3"].value == data.missing["sweeps"]
    assert book["WalkForward"]["A3"].value == data.missing["walk_forward"]
    quality = book["DataQuality"]
    assert [quality.cell(r, 2).value for r in range(3, 7)] == [0, 0, 0, 0]
    assert data.missing["quality"] in _texts(quality)


# --- frames given to the execution sheets --------------------------------------------------------

def test_execution_frames_are_written_with_formats(tmp_path):
    data = sample_report("daily")
    berlin = timezone(timedelta(hours=2))
    data.trades = pd.DataFrame({
        "ts": [pd.Timestamp("2024-06-01 12:00", tz="Europe/Berlin"), datetime(2024, 6, 1, 14, 0, tzinfo=berlin)],
        "exchange": ["sim_alpha"] * 2, "symbol": ["BTC/USDT"] * 2, "side": ["buy", "sell"],
        "quantity": [0.5, "0.25"], "price": [67_000.0, np.nan], "fees": [1.25, 1.5], "slippage_bps": [2.0, None],
        "pnl": [np.nan, -12.5]})
    data.fills = pd.DataFrame({"ts": [pd.Timestamp("2024-06-01 10:00", tz="UTC")], "exchange": ["sim_alpha"],
                               "symbol": ["BTC/USDT"], "side": ["buy"], "quantity": [0.5], "price": [67_000.0],
                               "fees": [1.25], "order_id": ["000123"]})
    data.positions = pd.DataFrame(columns=["exchange", "symbol", "quantity", "price", "value", "weight"])
    data.missing.pop("positions")
    book = openpyxl.load_workbook(render_workbook(data, tmp_path / "r.xlsx"))
    trades = book["Trades"]
    assert [c.value for c in trades[2]] == ["ts", "exchange", "symbol", "side", "quantity", "price", "fees",
                                            "slippage_bps", "pnl"]
    assert trades["A3"].value == datetime(2024, 6, 1, 10, 0) and trades["A4"].value == datetime(2024, 6, 1, 12, 0)
    assert trades["A3"].number_format == "yyyy-mm-dd hh:mm"
    assert trades["E4"].value == 0.25 and trades["F4"].value is None and trades["H4"].value is None
    assert trades["I3"].value is None and trades["I4"].value == -12.5 and trades["I4"].number_format == MONEY
    assert trades.auto_filter.ref == "A2:I4"
    _covers(_rules(trades), "I3:I4", "cellIs", "lessThan", "0")
    fills = _find(trades, "Fills")
    assert trades.cell(fills.row + 2, 1).value == datetime(2024, 6, 1, 10, 0)
    assert trades.cell(fills.row + 2, 8).value == "000123"  # an id stays text
    assert book["Positions"]["A3"].value == "no data for this period"


def test_cell_values():
    assert cell_value(float("nan")) is None and cell_value(np.float64("inf")) is None and cell_value(pd.NaT) is None
    assert cell_value(pd.NA) is None and cell_value("nan") is None and cell_value("  ") is None
    assert cell_value(pd.Timestamp("2024-06-01 02:05", tz="US/Eastern")) == datetime(2024, 6, 1, 6, 5)
    assert cell_value(np.int64(3)) == 3 and type(cell_value(np.int64(3))) is int
    assert cell_value("1,234.5", "money") == 1234.5 and cell_value("-0.5", "text") == -0.5
    assert cell_value("2024-06-01", "date") == datetime(2024, 6, 1) and cell_value(date(2024, 6, 1)) == date(2024, 6, 1)
    assert cell_value("BTC/USDT", "text") == "BTC/USDT" and cell_value("12", "identifier") == "12"


# --- atomic write --------------------------------------------------------------------------------

def _fail_on_third_sheet(monkeypatch):
    real, written = ExcelWriter.write_worksheet, []

    def write_worksheet(self, ws):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(ws.title)
        return real(self, ws)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", write_worksheet)
    return written


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = render_workbook(sample_report("daily"), tmp_path / "report.xlsx")
    before = path.read_bytes()
    sheets = _fail_on_third_sheet(monkeypatch)
    with pytest.raises(OSError, match="^disk full$"):
        render_workbook(sample_report("weekly"), path)
    assert sheets == ["Summary", "Metrics"]  # it failed mid-write, not before
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    assert openpyxl.load_workbook(path)["Summary"]["A1"].value == "Daily report 2024-06-01"


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    _fail_on_third_sheet(monkeypatch)
    with pytest.raises(OSError, match="^disk full$"):
        render_workbook(sample_report("daily"), tmp_path / "report.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_the_file(tmp_path):
    path = tmp_path / "nested" / "report.xlsx"
    assert render_workbook(sample_report("daily"), path) == path
    render_workbook(sample_report("weekly"), path)
    assert openpyxl.load_workbook(path)["Summary"]["A1"].value.startswith("Weekly report 2024-W22")
    assert [p.name for p in path.parent.iterdir()] == ["report.xlsx"]


# --- printing and the chart's second axis ------------------------------------------------------------


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_rows_repeated(report):
    data, path, book = report
    for ws in book.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        header_row = ws[ws.freeze_panes].row - 1  # the main table's header, frozen on screen
        assert ws.print_title_rows == f"$1:${header_row}", ws.title


def test_the_metrics_sheet_prints_on_a_few_pages(written):
    """200 days of equity history: fit to one page wide, about 40 rows a landscape page tall."""
    data, path, book = written["weekly"]
    ws = book["Metrics"]
    assert ws.page_setup.fitToWidth == 1 and ws.max_row < 2 + len(data.equity) + 10
    assert ws.max_row / 40 < 6  # pages down; across it is one (was 43 pages unscaled)


def chart_axes(path) -> tuple[list[list[str]], dict[str, ET.Element]]:
    """The equity chart's (chart group -> its axis ids) and (axis id -> axis element)."""
    ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    with zipfile.ZipFile(path) as package:
        names = [n for n in package.namelist() if n.startswith("xl/charts/chart")]
        root = next(r for r in (ET.fromstring(package.read(n)) for n in names) if r.find(".//c:lineChart", ns) is not None)
    area = root.find(".//c:plotArea", ns)
    groups = [[a.get("val") for a in g.findall("c:axId", ns)] for g in area.findall("c:lineChart", ns)]
    axes = {a.find("c:axId", ns).get("val"): a for a in area if a.tag.endswith(("valAx", "dateAx", "catAx"))}
    return groups, axes


def test_the_drawdown_axis_shows_on_the_right_over_its_own_hidden_date_axis(written):
    _, path, _ = written["daily"]
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    groups, axes = chart_axes(path)
    assert len(groups) == 2 and not set(groups[0]) & set(groups[1])  # each chart group its own axis pair
    (date_id, value_id) = groups[1]
    drawdown, hidden = axes[value_id], axes[date_id]
    val = {child.tag.removeprefix(ns): child.get("val") for child in drawdown}
    assert (val["delete"], val["axPos"], val["crosses"], val["crossAx"]) == ("0", "r", "max", date_id)
    assert hidden.find(f"{ns}delete").get("val") == "1" and hidden.find(f"{ns}crossAx").get("val") == value_id
    primary = axes[groups[0][1]]
    assert primary.find(f"{ns}delete").get("val") == "0" and primary.find(f"{ns}axPos").get("val") == "l"


def test_the_summary_says_whose_money_it_is(written):
    _, _, book = written["daily"]
    assert any(str(text).startswith("Whose money: not the desk's. The headline figures are the BENCHMARK")
               for text in _texts(book["Summary"]))


def test_coins_on_several_venues_are_summarised_by_asset_with_their_venues(tmp_path):
    from tests.reports.support import multi_venue_report

    data = multi_venue_report("daily")
    ws = openpyxl.load_workbook(render_workbook(data, tmp_path / "venues.xlsx"))["Summary"]
    title = _find(ws, "Performers by asset (mean over its venues)")
    header = [ws.cell(title.row + 1, c).value for c in range(1, 7)]
    assert header == ["asset", "venues", "period_return", "lowest", "highest", "series"]
    rows = [[ws.cell(r, c).value for c in range(1, 4)] for r in range(title.row + 2, title.row + 2 + len(data.assets))]
    assert rows == [[r.asset, r.venues, _stored(r.period_return)] for r in data.assets.itertuples()]
    venues = _find(ws, "Venues of one coin: basis (bps) and lowest correlation")
    assert ws.cell(venues.row + 2, 3).value == _stored(data.venues.basis_bps.iloc[0])
    assert "BTC (3 venues)" in _texts(ws)
