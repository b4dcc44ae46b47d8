"""The report's Excel workbook: the same figures as the PDF, as numbers and dates one can filter and chart.

Sheets, in order:

- Summary: title, then a Figure | Value | Note table (period start/end, generated time in
  UTC, currency, the headline figures, circuit breaker, metrics window; once the paper
  portfolio covers the period: Figure | Paper portfolio | Benchmark (equal-weight
  universe) | Note, the benchmark's figures beside the paper portfolio's); below it the
  "Needs attention" lines, the sections without data and their reasons, and the
  allocation table (by asset when a coin is on several venues, then the performers by asset and the
  venues of one coin: basis and lowest correlation). A native line chart of equity (drawdown on a second axis), drawn
  from the equity history on Metrics, and a native bar chart of the allocation sit
  to the right of the table. A bar chart rather than a pie: a short weight is negative.
- Metrics: the equity history (its main table), and beside it the performers over the
  period and the stress scenarios, each with a title in row 1 and its header in row 2.
  Filtering the equity history hides whole rows, so also the rows of the tables beside it.
- Positions, Trades, Orders: the paper desk's tables from the ledger marts (positions at the
  period's end, then the paper portfolio day by day; the period's trades = fills grouped by
  order; orders), or their header and data.missing's reason ("no paper trades yet"). Fills
  are a block on the Trades sheet below the trades (a fill is a part of a trade).
- WalkForward: per walk-forward sweep (latest run) the mean over its folds, out of sample first
  (what the params chosen in sample earned on the bars after), then in sample and the Sharpe's
  degradation; before Sweeps, whose best parameters are in-sample figures.
- Sweeps: the best parameters of each sweep and series (params as JSON text).
- DataQuality: partitions by status on top, then every validated partition.

Every sheet has its title or table header frozen and an autofilter on its main table.
Losses (negative PnL and returns) are marked bold on a light fill; breaches (drawdown
below -5 %, breaker level >= 1, flagged or quarantined partitions) bold and underlined
on a darker fill inside a box, so both still read on a black-and-white print. Values are
numbers, dates and datetimes (naive UTC) with number formats, never numeric text;
missing values are empty cells. Order, trade and fill ids stay text.

The file is written to a temporary file beside the target and moved over it, so a
failed write leaves the previous file as it was.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import DateAxis

from include.atomic import atomic_path
from include.reports.excel_sheets import BOLD, DATE, HEADING, TITLE, Sheet, Table, number_formats
from include.reports.model import BENCHMARK_LABEL, BREAKER_STATES, ReportData, whose_money

SHEETS = ("Summary", "Metrics", "Positions", "Trades", "Orders", "WalkForward", "Sweeps", "DataQuality")
COLUMNS = {
    "equity": ["trade_date", "daily_return", "equity", "pnl", "drawdown", "breaker_level"],
    "performers": ["series", "exchange", "symbol", "period_return", "close"],
    "stress": ["scenario", "scenario_type", "window_start", "window_end", "portfolio_return", "amount", "note"],
    "assets": ["asset", "venues", "period_return", "lowest", "highest", "series"],
    "venues": ["asset", "venues", "basis_bps", "cheapest", "dearest", "min_correlation"],
    "allocation": ["series", "weight"],
    "positions": ["exchange", "symbol", "quantity", "average_cost", "close", "value", "weight",
                  "unrealised_pnl", "realised_pnl", "fees", "total_pnl", "as_of_date"],
    "trades": ["order_id", "ts", "exchange", "symbol", "side", "quantity", "price", "fees", "slippage_bps",
               "slippage", "n_fills", "pnl"],
    "orders": ["ts", "exchange", "symbol", "side", "type", "quantity", "limit_price", "arrival_price", "status",
               "filled", "average_price", "fees", "slippage_bps", "reason", "order_id"],
    "fills": ["ts", "exchange", "symbol", "side", "quantity", "price", "fees", "arrival_price", "slippage_bps",
              "slippage", "order_id", "trade_id"],
    "paper": ["trade_date", "equity", "cash", "pnl", "total_pnl", "realised_pnl", "unrealised_pnl", "fees",
              "daily_return", "drawdown"],
    "sweeps": ["sweep", "strategy", "timeframe", "exchange", "symbol", "objective", "objective_value", "params",
               "sharpe_ratio", "total_return", "max_drawdown", "dsr", "pbo", "verdict", "loaded_at"],
    "quality": ["exchange", "symbol", "timeframe", "date", "status", "detail"],
    "walk_forward": ["sweep", "strategy", "timeframe", "scheme", "folds", "oos_sharpe_ratio", "oos_total_return",
                     "oos_max_drawdown", "is_sharpe_ratio", "is_total_return", "is_max_drawdown",
                     "degradation_sharpe_ratio", "loaded_at"],
}
BREACH_DRAWDOWN = -0.05     # drawdown below this is marked (the breaker's first level)
NOTHING = "Nothing needs attention."
NOT_COMPUTABLE = "not computable from the data"


def render_workbook(data: ReportData, path: Path) -> Path:
    """Write the report's workbook to `path` atomically (replacing a previous one); returns `path`."""
    path = Path(path)
    book = build_workbook(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        book.save(temporary)
    return path


def build_workbook(data: ReportData) -> Workbook:
    """The workbook in memory, every sheet laid out (render_workbook saves it)."""
    book = Workbook()
    formats = number_formats(data.currency)
    sheets = {}
    for index, name in enumerate(SHEETS):
        ws = book.active if index == 0 else book.create_sheet()
        ws.title = name
        sheets[name] = Sheet(ws, formats)
    equity = _metrics(sheets["Metrics"], data)
    _summary(sheets["Summary"], data, equity)
    _execution(sheets["Positions"], data, "positions", "Positions", paper=True)
    _execution(sheets["Trades"], data, "trades", "Trades", fills=True)
    _execution(sheets["Orders"], data, "orders", "Orders")
    _walk_forward(sheets["WalkForward"], data)
    _sweeps(sheets["Sweeps"], data)
    _quality(sheets["DataQuality"], data)
    for sheet in sheets.values():
        sheet.fit()
        sheet.print_setup()
    return book


def _reason(data: ReportData, section: str) -> str:
    return data.missing.get(section) or "no data for this period"


def _headline_rows(data: ReportData) -> list[tuple[str, object, str, str]]:
    """(label, value, kind, note) of the Summary table."""
    h, window = data.headline, f"rolling {data.headline.metrics_window_days}-day window"
    as_of = f"as of {h.as_of.isoformat()}" if h.as_of else ""
    level = "" if h.breaker_level is None else f"level {h.breaker_level} of {len(BREAKER_STATES) - 1}"
    rows = [
        ("Period start", data.period.start, "date", data.period.kind),
        ("Period end", data.period.end, "date", data.period.label),
        ("Generated (UTC)", data.generated_at, "datetime", "UTC"),
        ("Currency", data.currency, "text", "money figures are in this currency"),
        ("As of", h.as_of, "date", "the period's last day with a portfolio return"),
        ("Equity", h.equity, "money", as_of),
        ("PnL", h.pnl, "money", "over the period's days"),
        ("Period return", h.period_return, "percent", "over the period"),
        ("Annual return", h.annual_return, "percent", window),
        ("Annual volatility", h.annual_volatility, "percent", window),
        ("Sharpe ratio", h.sharpe_ratio, "ratio", window),
        ("Sortino ratio", h.sortino_ratio, "ratio", window),
        ("Calmar ratio", h.calmar_ratio, "ratio", window),
        ("Max drawdown", h.max_drawdown, "percent", window),
        ("VaR 95 %", h.var_95, "percent", "historical, one day; a positive loss"),
        ("CVaR 95 %", h.cvar_95, "percent", "historical, one day; a positive loss"),
        ("VaR 99 %", h.var_99, "percent", "historical, one day; a positive loss"),
        ("CVaR 99 %", h.cvar_99, "percent", "historical, one day; a positive loss"),
        ("Drawdown", h.drawdown, "percent", f"current, from the running peak of equity; {as_of}".rstrip("; ")),
        ("Circuit breaker", h.breaker_state, "text", level or NOT_COMPUTABLE),
        ("Circuit breaker level", h.breaker_level, "integer", " / ".join(BREAKER_STATES)),
        ("Metrics window", h.metrics_window_days, "days", "days of the rolling risk metrics"),
    ]
    return [(label, value, kind, note if value is not None else NOT_COMPUTABLE)
            for label, value, kind, note in rows]


HEADLINE_FIELDS = {  # Summary row -> Headline attribute: the rows a benchmark column repeats
    "As of": "as_of", "Equity": "equity", "PnL": "pnl", "Period return": "period_return",
    "Annual return": "annual_return", "Annual volatility": "annual_volatility", "Sharpe ratio": "sharpe_ratio",
    "Sortino ratio": "sortino_ratio", "Calmar ratio": "calmar_ratio", "Max drawdown": "max_drawdown",
    "VaR 95 %": "var_95", "CVaR 95 %": "cvar_95", "VaR 99 %": "var_99", "CVaR 99 %": "cvar_99",
    "Drawdown": "drawdown", "Circuit breaker": "breaker_state", "Circuit breaker level": "breaker_level",
    "Metrics window": "metrics_window_days",
}


def _summary(sheet: Sheet, data: ReportData, equity: Table) -> None:
    sheet.line(1, 1, data.period.title, TITLE)
    benchmark = data.benchmark
    # With a paper portfolio: Figure | Paper portfolio | Benchmark (equal-weight universe) | Note
    columns = ["Figure", "Value", "Note"] if benchmark is None else \
        ["Figure", data.headline.label, BENCHMARK_LABEL, "Note"]
    sheet.header(2, 1, columns)
    rows = _headline_rows(data)
    at = {}
    for row, (label, value, kind, note) in enumerate(rows, start=3):
        sheet.put(row, 1, label, "text", font=BOLD)
        sheet.put(row, 2, value, kind)
        sheet.put(row, len(columns), note, "text")
        if benchmark is not None and label in HEADLINE_FIELDS:
            sheet.put(row, 3, getattr(benchmark, HEADLINE_FIELDS[label]), kind)
        at[label] = f"B{row}"
    figures = Table(sheet.ws, 2, 1, columns, len(rows))
    sheet.main_table(figures)
    for cell in ([at] if benchmark is None else [at, {k: "C" + v[1:] for k, v in at.items()}]):
        for label in ("PnL", "Period return", "Annual return"):
            sheet.mark(cell[label], "lessThan", 0)
        sheet.mark(cell["Drawdown"], "lessThan", BREACH_DRAWDOWN, breach=True)
        sheet.mark(cell["Circuit breaker level"], "greaterThanOrEqual", 1, breach=True)

    row = figures.last_row + 2
    if "headline" in data.missing:
        sheet.line(row, 1, f"Headline: {data.missing['headline']}")
        row += 2
    if benchmark is not None:
        sheet.line(row, 1, f"The headline is the {data.headline.label.lower()} (the desk's ledger, fct_pnl; its "
                           f"risk metrics from its daily returns with the warehouse's definitions); the "
                           f"{BENCHMARK_LABEL.lower()} beside it is the warehouse's.")
        row += 2
    sheet.line(row, 1, whose_money(data), BOLD)
    row += 2
    sheet.line(row, 1, "Needs attention", HEADING)
    for row, text in enumerate(data.attention or [NOTHING], start=row + 1):
        sheet.line(row, 1, text, BOLD if data.attention else None)
    row += 2
    sheet.line(row, 1, "Sections without data", HEADING)
    for row, (section, why) in enumerate(data.missing.items() or [("every section", "has data")], start=row + 1):
        sheet.line(row, 1, f"{section}: {why}")
    allocation = sheet.table(row + 2, 1, COLUMNS["allocation"], data.allocation, title="Allocation",
                             missing=_reason(data, "allocation"))

    if data.assets is not None and not data.assets.empty:  # a coin on several venues: by asset, then its venues
        assets = sheet.table(allocation.last_row + 3, 1, COLUMNS["assets"], data.assets,
                             title="Performers by asset (mean over its venues)")
        sheet.mark(assets.data_ref("period_return"), "lessThan", 0)
        sheet.table(assets.last_row + 3, 1, COLUMNS["venues"], data.venues,
                    title="Venues of one coin: basis (bps) and lowest correlation")

    line = _equity_chart(equity, data.currency)
    if line is not None:
        sheet.ws.add_chart(line, "E2")
    bars = _allocation_chart(allocation)
    if bars is not None:
        sheet.ws.add_chart(bars, f"E{max(allocation.header_row - 1, 20)}")


def _equity_chart(equity: Table, currency: str) -> LineChart | None:
    """Equity (left axis) and drawdown (right axis) by trade date, from the Metrics equity history."""
    if not equity.n_rows:
        return None
    ws, top, bottom = equity.ws, equity.header_row, equity.last_row
    chart = LineChart()
    chart.title, chart.width, chart.height = "Equity and drawdown", 20, 9
    chart.add_data(Reference(ws, min_col=equity.col("equity"), min_row=top, max_row=bottom), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=equity.col("trade_date"), min_row=top + 1, max_row=bottom))
    chart.x_axis = DateAxis(crossAx=100, axPos="b", baseTimeUnit="days")
    chart.x_axis.number_format, chart.x_axis.title = DATE, "Trade date"
    chart.y_axis.crossAx, chart.y_axis.title, chart.y_axis.number_format = 500, f"Equity ({currency})", "#,##0"
    chart.series[0].graphicalProperties.line.solidFill = "1F1F1F"
    chart.series[0].smooth = False

    drawdown = LineChart()
    drawdown.add_data(Reference(ws, min_col=equity.col("drawdown"), min_row=top, max_row=bottom),
                      titles_from_data=True)
    drawdown.set_categories(Reference(ws, min_col=equity.col("trade_date"), min_row=top + 1, max_row=bottom))
    # Excel draws a second value axis only over a category axis of its own: a hidden date axis (300)
    # that the drawdown axis (200) crosses at its maximum, i.e. on the right.
    drawdown.x_axis = DateAxis(axId=300, crossAx=200, axPos="b", baseTimeUnit="days")
    drawdown.x_axis.delete = True
    drawdown.y_axis.axId, drawdown.y_axis.crossAx, drawdown.y_axis.crosses = 200, 300, "max"
    drawdown.y_axis.axPos, drawdown.y_axis.majorGridlines = "r", None
    drawdown.y_axis.title, drawdown.y_axis.number_format = "Drawdown", "0%"
    series = drawdown.series[0]
    series.graphicalProperties.line.solidFill, series.graphicalProperties.line.dashStyle = "7F7F7F", "dash"
    series.smooth = False
    for axis in (chart.x_axis, chart.y_axis, drawdown.y_axis):
        axis.delete = False  # openpyxl 3.1 leaves axes without <c:delete val=0>: some readers hide them
    chart += drawdown
    chart.legend.position = "b"
    return chart


def _allocation_chart(allocation: Table) -> BarChart | None:
    if not allocation.n_rows:
        return None
    ws, top, bottom = allocation.ws, allocation.header_row, allocation.last_row
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "Allocation (weight)", None
    chart.width, chart.height = 20, max(6.0, 1.2 * allocation.n_rows + 3)
    chart.add_data(Reference(ws, min_col=allocation.col("weight"), min_row=top, max_row=bottom),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=allocation.col("series"), min_row=top + 1, max_row=bottom))
    chart.y_axis.number_format = "0%"
    chart.series[0].graphicalProperties.solidFill = "595959"
    chart.x_axis.delete = chart.y_axis.delete = False
    return chart


def _metrics(sheet: Sheet, data: ReportData) -> Table:
    end = data.period.end.isoformat()
    equity = sheet.table(1, 1, COLUMNS["equity"], data.equity, title=f"Equity history to {end}",
                         missing=_reason(data, "equity"))
    sheet.main_table(equity)
    for column in ("daily_return", "pnl"):
        sheet.mark(equity.data_ref(column), "lessThan", 0)
    sheet.mark(equity.data_ref("drawdown"), "lessThan", BREACH_DRAWDOWN, breach=True)
    sheet.mark(equity.data_ref("breaker_level"), "greaterThanOrEqual", 1, breach=True)

    performers = sheet.table(1, equity.last_col + 2, COLUMNS["performers"], data.performers,
                             title="Performers over the period, best first", missing=_reason(data, "performers"))
    sheet.mark(performers.data_ref("period_return"), "lessThan", 0)
    stress = sheet.table(1, performers.last_col + 2, COLUMNS["stress"], data.stress,
                         title=f"Stress scenarios: return, and amount on the headline's equity ({data.currency})",
                         missing=_reason(data, "stress"))
    sheet.mark(stress.data_ref("portfolio_return"), "lessThan", 0)
    sheet.mark(stress.data_ref("amount"), "lessThan", 0)
    return equity


def _execution(sheet: Sheet, data: ReportData, section: str, title: str, *, fills: bool = False,
               paper: bool = False) -> None:
    frame = getattr(data, section)
    table = sheet.table(1, 1, COLUMNS[section], frame, title=f"{title}, {data.period.title}",
                        missing=_reason(data, section))
    sheet.main_table(table)
    for column in ("pnl", "unrealised_pnl", "realised_pnl", "total_pnl"):
        sheet.mark(table.data_ref(column), "lessThan", 0)
    row = (table.last_row if table.n_rows else table.header_row + 1) + 2
    if fills:
        sheet.table(row, 1, COLUMNS["fills"], data.fills, title="Fills", missing=_reason(data, "fills"))
    if paper and data.paper is not None:  # below the positions: the paper portfolio day by day (fct_pnl total)
        history = sheet.table(row, 1, COLUMNS["paper"], data.paper,
                              title=f"Paper portfolio day by day to {data.period.end.isoformat()}")
        for column in ("pnl", "total_pnl", "daily_return"):
            sheet.mark(history.data_ref(column), "lessThan", 0)


def _walk_forward(sheet: Sheet, data: ReportData) -> None:
    table = sheet.table(1, 1, COLUMNS["walk_forward"], data.sweeps_walk_forward,
                        title="Walk-forward sweeps: out of sample first, mean over the folds of the latest run",
                        missing=_reason(data, "walk_forward"))
    sheet.main_table(table)
    for column in ("oos_sharpe_ratio", "oos_total_return", "degradation_sharpe_ratio"):
        sheet.mark(table.data_ref(column), "lessThan", 0)


def _sweeps(sheet: Sheet, data: ReportData) -> None:
    table = sheet.table(1, 1, COLUMNS["sweeps"], data.sweeps_best,
                        title="Best parameters of each sweep and series", missing=_reason(data, "sweeps"))
    sheet.main_table(table)
    sheet.mark(table.data_ref("total_return"), "lessThan", 0)
    sheet.mark(table.data_ref("sharpe_ratio"), "lessThan", 0)
    sheet.mark_text(table.data_ref("verdict"), ("likely luck",))
    if data.sweep_rule:
        sheet.line((table.last_row if table.n_rows else table.header_row + 1) + 2, 1, f"Which runs: {data.sweep_rule}")


def _quality(sheet: Sheet, data: ReportData) -> None:
    sheet.line(1, 1, f"Data quality, {data.period.start.isoformat()} to {data.period.end.isoformat()}", TITLE)
    sheet.header(2, 1, ["status", "partitions"])
    for row, (status, count) in enumerate(data.quality_counts().items(), start=3):
        sheet.put(row, 1, status, "text")
        sheet.put(row, 2, count, "integer")
        if status in ("flagged", "quarantined"):
            sheet.mark(f"B{row}", "greaterThan", 0, breach=True)
    table = sheet.table(row + 2, 1, COLUMNS["quality"], data.quality, missing=_reason(data, "quality"))
    sheet.main_table(table)
    sheet.mark_text(table.data_ref("status"), ("quarantined", "flagged"))
