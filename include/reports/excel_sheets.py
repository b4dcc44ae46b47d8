"""The building blocks of the report workbook: cell values, number formats, tables, marks, widths.

`excel.py` lays the sheets out with these; nothing here knows the report's sections.
Every value goes through `cell_value`, so a cell holds a number, a date/datetime, a
short text or nothing: NaN, NaT, inf and None become empty cells, timezone-aware
timestamps become naive UTC (Excel has no time zones), numeric text in a numeric
column becomes a number.
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

DATE, DATETIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
PERCENT, RATIO, INTEGER = "0.00%", "0.00", "0"
PRICE = "#,##0.00######"        # at least cents, up to 8 decimals (0.5123 XRP, 67,123.45 BTC)
QUANTITY = "#,##0.########"
BPS = "0.0"
DAYS = '0 "days"'

COLUMN_KINDS = {  # column name -> kind; a column not listed is text
    "trade_date": "date", "date": "date", "as_of_date": "date", "window_start": "date", "window_end": "date",
    "ts": "datetime", "loaded_at": "datetime",
    "equity": "money", "pnl": "money", "value": "money", "fees": "money", "fee": "money",
    "daily_return": "percent", "drawdown": "percent", "period_return": "percent", "portfolio_return": "percent",
    "weight": "percent", "total_return": "percent", "max_drawdown": "percent", "annual_volatility": "percent",
    "sharpe_ratio": "ratio", "objective_value": "ratio", "dsr": "ratio", "pbo": "ratio",
    "breaker_level": "integer", "partitions": "integer",
    "close": "price", "price": "price", "limit_price": "price", "arrival_price": "price", "average_price": "price",
    "average_cost": "price",
    "quantity": "quantity", "filled": "quantity", "slippage_bps": "bps",
    "realised_pnl": "money", "unrealised_pnl": "money", "total_pnl": "money", "slippage": "money", "cash": "money",
    "n_fills": "integer", "amount": "money", "lowest": "percent", "highest": "percent", "venues": "integer",
    "basis_bps": "bps", "min_correlation": "ratio",
    # walk-forward sweeps: out of sample (oos_), in sample (is_), their difference
    "oos_sharpe_ratio": "ratio", "is_sharpe_ratio": "ratio", "degradation_sharpe_ratio": "ratio",
    "oos_total_return": "percent", "is_total_return": "percent", "oos_max_drawdown": "percent",
    "is_max_drawdown": "percent", "folds": "integer",
    "order_id": "identifier", "trade_id": "identifier", "fill_id": "identifier",
}
NUMERIC_KINDS = {"money", "percent", "ratio", "integer", "price", "quantity", "bps", "days"}
IDENTIFIER_KINDS = {"identifier"}  # exchange ids stay text: 19 digits do not fit a double
NUMERIC_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADING = Font(bold=True, size=12)
NOTE = Font(italic=True, color="595959")
HEADER_FILL = PatternFill("solid", start_color="D9D9D9", end_color="D9D9D9")
HEADER_BORDER = Border(bottom=Side(style="thin"))
# Marks that still read on a black-and-white print: a loss is bold on a light fill, a breach
# bold and underlined on a darker fill inside a box.
LOSS_FONT, LOSS_FILL = Font(bold=True, color="9C0006"), PatternFill("solid", start_color="FFC7CE",
                                                                    end_color="FFC7CE", bgColor="FFC7CE")
BREACH_FONT = Font(bold=True, underline="single", color="9C0006")
BREACH_FILL = PatternFill("solid", start_color="FF8F8F", end_color="FF8F8F", bgColor="FF8F8F")
BREACH_BORDER = Border(*(Side(style="thin"),) * 4)
MIN_WIDTH, MAX_WIDTH = 8, 60


def number_formats(currency: str) -> dict[str, str]:
    """Kind -> Excel number format; money carries the currency code, e.g. '#,##0.00 "USDT"'."""
    code = currency.replace('"', "").strip() or "?"
    return {"date": DATE, "datetime": DATETIME, "money": f'#,##0.00 "{code}"', "percent": PERCENT,
            "ratio": RATIO, "integer": INTEGER, "price": PRICE, "quantity": QUANTITY, "bps": BPS, "days": DAYS}


def cell_value(value, kind: str | None = None):
    """What a cell holds: a number, a (naive UTC) date or datetime, a non-empty text or None."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, date):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    text = (value if isinstance(value, str) else str(value)).strip()
    if text.lower() in ("", "nan", "nat", "<na>"):
        return None
    if kind in ("date", "datetime"):
        try:
            return cell_value(pd.Timestamp(text), kind)
        except ValueError:
            return text
    digits = text.replace(",", "") if kind in NUMERIC_KINDS else text
    if kind not in IDENTIFIER_KINDS and NUMERIC_TEXT.fullmatch(digits):
        return float(digits)  # numeric text never reaches a cell: "1.5" is written as 1.5
    return text


def shown_length(value, kind: str | None) -> int:
    """About how many characters the cell shows, for the column width."""
    if value is None:
        return 0
    if isinstance(value, datetime) and kind != "date":
        return 16
    if isinstance(value, (date, datetime)):
        return 10
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "percent":
            return len(f"{value * 100:.2f}%")
        if kind == "money":
            return len(f"{value:,.2f}") + 6
        if kind in ("price", "quantity"):
            return len(f"{value:,.8f}".rstrip("0")) + 2
        return len(f"{value:,.2f}")
    return len(str(value))


@dataclass
class Table:
    """Where a table landed: its header row, first column, columns and number of data rows."""

    ws: Worksheet
    header_row: int
    first_col: int
    columns: list[str]
    n_rows: int

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def last_row(self) -> int:
        """The last data row (the header row when there is none)."""
        return self.header_row + self.n_rows

    @property
    def last_col(self) -> int:
        return self.first_col + len(self.columns) - 1

    def col(self, name: str) -> int:
        return self.first_col + self.columns.index(name)

    def data_ref(self, name: str) -> str | None:
        """'E3:E202', the column's data cells; None without data."""
        if not self.n_rows or name not in self.columns:
            return None
        letter = get_column_letter(self.col(name))
        return f"{letter}{self.first_row}:{letter}{self.last_row}"

    @property
    def ref(self) -> str:
        """Header and data rows, for the autofilter."""
        return (f"{get_column_letter(self.first_col)}{self.header_row}:"
                f"{get_column_letter(self.last_col)}{max(self.last_row, self.header_row)}")


@dataclass
class Sheet:
    """A worksheet being filled: writes cells with their formats and measures columns as it goes."""

    ws: Worksheet
    formats: dict[str, str]
    widths: dict[int, int] = field(default_factory=dict)

    def put(self, row: int, col: int, value, kind: str | None = None, *, font: Font | None = None,
            measure: bool = True):
        cell = self.ws.cell(row=row, column=col, value=cell_value(value, kind))
        if kind in self.formats and cell.value is not None and not isinstance(cell.value, str):
            cell.number_format = self.formats[kind]
        if font is not None:
            cell.font = font
        if measure:
            self.widths[col] = max(self.widths.get(col, 0), shown_length(cell.value, kind))
        return cell

    def line(self, row: int, col: int, text: str, font: Font = NOTE):
        """A sentence (a title, a reason, an attention line): left to overflow, not measured."""
        return self.put(row, col, text, "text", font=font, measure=False)

    def header(self, row: int, col: int, names: list[str]) -> None:
        for offset, name in enumerate(names):
            cell = self.put(row, col + offset, name, "text", font=BOLD)
            cell.fill, cell.border = HEADER_FILL, HEADER_BORDER
            cell.alignment = Alignment(horizontal="center")
            self.widths[col + offset] = max(self.widths[col + offset], len(name) + 3)  # room for the filter arrow

    def table(self, row: int, col: int, columns: list[str], frame: pd.DataFrame | None, *,
              missing: str | None = None, title: str | None = None) -> Table:
        """A titled (optional) table with a bold header; an empty or absent frame gets the `missing` line."""
        if title:
            self.line(row, col, title, HEADING)
            row += 1
        has_rows = frame is not None and len(frame) > 0
        if has_rows:
            columns = [c for c in columns if c in frame.columns] + [c for c in frame.columns if c not in columns]
        self.header(row, col, [str(c) for c in columns])
        if not has_rows:
            self.line(row + 1, col, missing or "no data for this period")
            return Table(self.ws, row, col, list(columns), 0)
        kinds = [COLUMN_KINDS.get(str(c), "text") for c in columns]
        for r, values in enumerate(frame[columns].itertuples(index=False, name=None), start=row + 1):
            for c, (value, kind) in enumerate(zip(values, kinds), start=col):
                self.put(r, c, value, kind)
        return Table(self.ws, row, col, [str(c) for c in columns], len(frame))

    def mark(self, ref: str | None, operator: str, threshold: float, *, breach: bool = False) -> None:
        """Conditional format: cells of `ref` that are `operator` `threshold` are marked as a loss or breach."""
        if ref:
            style = (dict(font=BREACH_FONT, fill=BREACH_FILL, border=BREACH_BORDER) if breach
                     else dict(font=LOSS_FONT, fill=LOSS_FILL))
            self.ws.conditional_formatting.add(ref, CellIsRule(operator=operator, formula=[repr(threshold)], **style))

    def mark_text(self, ref: str | None, values: tuple[str, ...]) -> None:
        """Conditional format: cells of `ref` whose text is one of `values` are marked as a breach."""
        if ref:
            first = ref.split(":")[0]
            test = ",".join(f'{first}="{v}"' for v in values)
            self.ws.conditional_formatting.add(ref, FormulaRule(formula=[f"OR({test})"], font=BREACH_FONT,
                                                                fill=BREACH_FILL, border=BREACH_BORDER))

    def main_table(self, table: Table) -> None:
        """The sheet's main table: rows down to its header stay frozen, and it gets the autofilter."""
        self.ws.freeze_panes = self.ws.cell(row=table.header_row + 1, column=1)
        self.ws.auto_filter.ref = table.ref

    def print_setup(self) -> None:
        """A sheet prints on a few pages: landscape A4, every column on one page's width (as many pages
        down as needed), the rows down to the main table's header repeated on each page."""
        ws = self.ws
        ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # 0: as many pages tall as it takes
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        frozen = ws.freeze_panes
        if frozen:  # the frozen rows are the title and the main table's header
            last = ws[frozen].row - 1
            if last >= 1:
                ws.print_title_rows = f"1:{last}"
        ws.oddFooter.center.text = "&A - page &P of &N"

    def fit(self) -> None:
        """Column widths from the measured content, within [MIN_WIDTH, MAX_WIDTH]."""
        for col, length in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = min(max(length + 2, MIN_WIDTH), MAX_WIDTH)
