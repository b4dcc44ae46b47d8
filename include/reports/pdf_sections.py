"""The PDF's style and its sections after page 1, as lists of ReportLab flowables.

One font family (Helvetica), fixed sizes, thin grey table rules. A section whose
data is empty prints `missing(data, name)` - the reason gather recorded, or a
generic line - instead of disappearing.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, Spacer, Table, TableStyle

from include.reports import charts
from include.reports.formatting import money, pct, price, ratio
from include.reports.model import ReportData

FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
GREY, RULE = colors.Color(0.35, 0.35, 0.35), colors.Color(0.7, 0.7, 0.7)
CHART_WIDTH = charts.WIDTH * inch  # charts print at the size they were drawn
NO_DATA = "no data for this period"
QUALITY_ROWS = 100  # non-passed partitions listed; the workbook has them all


def _style(name: str, size: float, font: str = FONT, **extra) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.25, **extra)


STYLES = {
    "title": _style("title", 18, BOLD, spaceAfter=4),
    "h1": _style("h1", 13, BOLD, spaceBefore=4, spaceAfter=6, keepWithNext=1),  # never alone at a page foot
    "h2": _style("h2", 10.5, BOLD, spaceBefore=8, spaceAfter=4, keepWithNext=1),
    "body": _style("body", 9),
    "note": _style("note", 8, ITALIC, textColor=GREY, spaceBefore=2),
    "whose": _style("whose", 9, BOLD, spaceBefore=4),
    "missing": _style("missing", 9, ITALIC, textColor=GREY, spaceAfter=4),
    "cell": _style("cell", 8),
    "cell_right": _style("cell_right", 8, alignment=TA_RIGHT),
    "head": _style("head", 8, BOLD),
    "head_right": _style("head_right", 8, BOLD, alignment=TA_RIGHT),
    "bullet": _style("bullet", 9.5, leftIndent=12, bulletIndent=2, spaceAfter=3),
    "value": _style("value", 9, BOLD, alignment=TA_RIGHT),
    "tile_label": _style("tile_label", 8, textColor=GREY),
    "tile_value": _style("tile_value", 14, BOLD, spaceBefore=3),
    "tile_value_right": _style("tile_value_right", 12, BOLD, alignment=TA_RIGHT),
}


class IfFits(Flowable):
    """Flowables drawn together only if they fit in the space left on the page, else nothing: page 1's
    extras (movers, positions, orders) never push a table alone onto a page of its own."""

    def __init__(self, flowables: list[Flowable]):
        super().__init__()
        self.flowables, self.sizes, self.fits = flowables, [], False

    def wrap(self, available_width, available_height):
        self.sizes = [f.wrap(available_width, available_height) for f in self.flowables]
        needed = sum(h + f.getSpaceBefore() + f.getSpaceAfter() for f, (_, h) in zip(self.flowables, self.sizes))
        self.fits = needed <= available_height
        self.width, self.height = available_width, (needed if self.fits else 0)
        return self.width, self.height

    def draw(self):
        if not self.fits:
            return
        y = self.height
        for flowable, (_, height) in zip(self.flowables, self.sizes):
            y -= flowable.getSpaceBefore() + height
            flowable.drawOn(self.canv, 0, y)
            y -= flowable.getSpaceAfter()


def para(text: str, style: str = "body") -> Paragraph:
    """Plain text (escaped, never markup) as a paragraph of a named style."""
    return Paragraph(escape(str(text)), STYLES[style])


def missing(data: ReportData, name: str) -> Paragraph:
    return para(f"No data: {data.missing.get(name) or NO_DATA}.", "missing")


def table(header: list[str], rows: list[list], widths: list[float], right: tuple[int, ...] = ()) -> Table:
    """A table with a bold header repeated on each page, thin grey rules, columns in `right` right-aligned."""
    def cell(value, column, style):
        if isinstance(value, Flowable):
            return value
        return para(value, style + ("_right" if column in right else ""))

    body = [[cell(v, c, "head") for c, v in enumerate(header)]]
    body += [[cell(v, c, "cell") for c, v in enumerate(row)] for row in rows]
    rules = TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, GREY), ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 2),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 3),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 3)])
    return Table(body, colWidths=widths, repeatRows=1, style=rules, hAlign="LEFT")


def image(source: bytes | Path, max_width: float = CHART_WIDTH, max_height: float = 9 * inch) -> Image:
    """PNG bytes or a file, scaled to fit the box with its aspect ratio kept."""
    def opened():
        return io.BytesIO(source) if isinstance(source, bytes) else str(source)

    pixels_w, pixels_h = ImageReader(opened()).getSize()
    scale = min(max_width / pixels_w, max_height / pixels_h)
    return Image(opened(), width=pixels_w * scale, height=pixels_h * scale, hAlign="CENTER")


def chart_pngs(data: ReportData) -> dict[str, bytes | None]:
    """Every chart of the report, drawn once (the document is laid out twice), by section name."""
    h = data.benchmark or data.headline  # the histogram is the equal-weight universe's returns: its VaR
    shade = (data.period.start, data.period.end) if data.period.kind == "weekly" else None
    grouped = not data.asset_correlation.empty and len(data.asset_correlation) > 1
    return {"equity": charts.equity_chart(data.equity, data.currency, data.paper, shade=shade),
            "returns": charts.returns_histogram(data.returns, h.var_95, h.var_99),
            "rolling": charts.volatility_chart(data.rolling, data.regimes, shade=shade),
            "glance": charts.equity_chart(data.equity.tail(90), data.currency,
                                          None if data.paper is None else data.paper.tail(90), shade=shade,
                                          height=2.2, span="last 90 days"),
            "correlation": charts.correlation_heatmap(data.asset_correlation if grouped else data.correlation,
                                                      by_asset=grouped),
            "allocation": charts.allocation_chart(data.allocation)}


def chart(title: str, data: ReportData, pngs: dict[str, bytes | None], name: str) -> KeepTogether:
    body = image(pngs[name]) if pngs.get(name) is not None else missing(data, name)
    return KeepTogether([para(title, "h2"), body])


def performance(data: ReportData, pngs: dict[str, bytes | None]) -> list[Flowable]:
    return [para("Performance", "h1"), chart("Equity and drawdown", data, pngs, "equity"),
            chart("Distribution of daily returns" + (" (equal-weight universe)" if data.benchmark else ""),
                  data, pngs, "returns")]


def risk(data: ReportData, pngs: dict[str, bytes | None]) -> list[Flowable]:
    return [para("Risk", "h1"), chart("Volatility", data, pngs, "rolling"),
            chart("Correlation" + (" by asset" if len(data.asset_correlation) > 1 else ""), data, pngs,
                  "correlation"), *venue_detail(data), stress_table(data)]


def venue_detail(data: ReportData) -> list[Flowable]:
    """One coin on several venues: how far apart their closes are (basis) and how closely they move."""
    if data.venues is None or data.venues.empty:
        return []
    rows = [[r.asset, str(r.venues), f"{r.basis_bps:,.1f}", r.cheapest, r.dearest, ratio(r.min_correlation)]
            for r in data.venues.itertuples()]
    why = (f" n/a: {data.missing.get('correlation', 'no 30-day correlation between its venues yet')}."
           if data.venues.min_correlation.isna().any() else "")
    return [KeepTogether([
        para("Venues of one coin", "h2"),
        table(["Asset", "Venues", "Basis (bps)", "Lowest close", "Highest close", "Lowest correlation"], rows,
              [50, 40, 60, 125, 125, 90], right=(1, 2, 5)),
        para("Basis: the highest venue close over the lowest at the period's end, in basis points (a quote "
             "currency off its peg shows here). Lowest correlation: of daily returns between two of its venues, "
             "30-day rolling." + why, "note")])]


def stress_table(data: ReportData) -> Flowable:
    heading = para("Stress scenarios", "h2")
    if data.stress.empty:
        return KeepTogether([heading, missing(data, "stress")])
    amount = data.stress["amount"] if "amount" in data.stress else [None] * len(data.stress)
    notes = data.stress["note"] if "note" in data.stress else [""] * len(data.stress)
    rows = [[Paragraph(escape(r.scenario), STYLES["cell"]), str(r.scenario_type).replace("_", " "),
             _window(r.window_start, r.window_end), pct(r.portfolio_return), money(a, data.currency),
             Paragraph(escape(n or ""), STYLES["cell"])]
            for r, a, n in zip(data.stress.itertuples(), amount, notes)]
    body = table(["Scenario", "Type", "Window", "Return", f"On today's equity", "Why n/a"], rows,
                 [105, 78, 72, 45, 80, 110], right=(3, 4))
    equity = money(data.headline.equity, data.currency)
    return KeepTogether([heading, body, para(f"Amounts: the scenario's return applied to the {data.headline.label.lower()}'s "
                                    f"equity of {equity}; a loss is negative.", "note")])


def _day(value) -> str:
    """A date as YYYY-MM-DD whether it comes as a date, a Timestamp or text; "" when missing."""
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _window(start, end) -> str:
    first, last = _day(start), _day(end)
    if not first:
        return "hypothetical"
    return first if last in ("", first) else f"{first} to {last}"


def portfolio(data: ReportData, pngs: dict[str, bytes | None]) -> list[Flowable]:
    return [para("Portfolio", "h1"), chart("Allocation", data, pngs, "allocation"), *performers(data)]


def split_performers(frame: pd.DataFrame, most: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Top and bottom by period_return: 5 each, or half each (no series twice) when there are fewer than 10."""
    ranked = frame.dropna(subset=["period_return"]).sort_values("period_return", ascending=False)
    top = ranked.head(min(most, (len(ranked) + 1) // 2))
    bottom = ranked.drop(top.index).tail(most).iloc[::-1]
    return top, bottom


def performers(data: ReportData) -> list[Flowable]:
    if data.assets is not None and len(data.assets) > 1:  # one coin only: its venues are the rows
        return asset_performers(data)
    top, bottom = split_performers(data.performers)
    if top.empty:
        return [para("Top and bottom performers", "h2"), missing(data, "performers")]
    out: list[Flowable] = []
    for title, frame in (("Top performers", top), ("Bottom performers", bottom)):
        rows = [[r.series, pct(r.period_return), price(r.close)] for r in frame.itertuples()]
        body = table(["Series", "Period return", "Close"], rows, [260, 110, 110], right=(1, 2)) if rows else \
            para("Every series is listed above.", "missing")
        out.append(KeepTogether([para(title, "h2"), body]))
    return out


def asset_performers(data: ReportData) -> list[Flowable]:
    """Performers by asset: the mean over a coin's venues, the venues' range beside it."""
    frame = data.assets
    rows = [[r.asset, str(r.venues), pct(r.period_return),
             pct(r.lowest) if r.venues == 1 else f"{pct(r.lowest)} to {pct(r.highest)}"]
            for r in frame.itertuples()]
    return [KeepTogether([para("Performers by asset, best first", "h2"),
                          table(["Asset", "Venues", "Period return (mean)", "Range over its venues"], rows,
                                [150, 60, 120, 160], right=(1, 2, 3)),
                          para("A coin on several venues is one row: its return is the mean over the venues, "
                               "as the equal-weight portfolio holds it. The workbook lists every series.", "note")])]


def movers(data: ReportData, most: int = 5) -> list[Flowable] | None:
    """Page 1: the period's biggest movers up and down (by asset when a coin repeats over venues)."""
    grouped = data.assets is not None and len(data.assets) > 1
    frame = data.assets.rename(columns={"asset": "series"}) if grouped else data.performers
    top, bottom = split_performers(frame, most)
    if top.empty:
        return None
    up = [[r.series, pct(r.period_return)] for r in top.itertuples()]
    down = [[r.series, pct(r.period_return)] for r in bottom.itertuples()]
    down += [["", ""]] * (len(up) - len(down))
    rows = [[a, b, "", c, d] for (a, b), (c, d) in zip(up, down)]
    what = "asset (mean over its venues)" if grouped else "series"
    return [para(f"Biggest movers of the period, by {what}", "h2"),
            table(["Best", "Return", "", "Worst", "Return"], rows, [150, 70, 30, 150, 70], right=(1, 4))]


def first_page_tables(data: ReportData, pngs: dict[str, bytes | None] | None = None) -> list[Flowable]:
    """What fills page 1 after the figures: the biggest movers, the data's quality at a glance, the desk's
    positions and the period's orders once the ledger has them, and the equity of the last 90 days; each
    only where it fits, the full sections follow."""
    out: list[Flowable] = []
    table_of_movers = movers(data)
    if table_of_movers is not None:
        out.append(IfFits(table_of_movers))
    if not data.quality.empty:
        counts = data.quality_counts()
        out.append(Spacer(1, 6))
        out.append(para(f"Data quality of the period: {counts['passed']} partitions passed, {counts['flagged']} "
                        f"flagged, {counts['quarantined']} quarantined; {counts['gap']} series-days with missing "
                        "candles (details under Data quality).", "body"))
    if data.positions is not None and not data.positions.empty:
        largest = data.positions.reindex(data.positions.value.abs().sort_values(ascending=False).index)
        out.append(IfFits([para(f"Positions at the period's end ({len(largest)}, largest first"
                                f"{'; the first 8 here' if len(largest) > 8 else ''})", "h2"),
                           execution_table("positions", largest.head(8), data.currency)]))
    if data.orders is not None and not data.orders.empty:
        out.append(IfFits([para(f"Orders of the period ({len(data.orders)}"
                                f"{'; the first 8 here' if len(data.orders) > 8 else ''})", "h2"),
                           execution_table("orders", data.orders.head(8), data.currency)]))
    if pngs and pngs.get("glance") is not None:
        out.append(IfFits([para("Equity and drawdown, the last 90 days", "h2"),
                           image(pngs["glance"], max_height=2.2 * inch)]))
    return out


def execution(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Execution", "h1"), *paper_summary(data)]
    for name in ("positions", "trades", "orders", "fills"):
        frame = getattr(data, name)
        body = execution_table(name, frame, data.currency) if frame is not None and not frame.empty \
            else missing(data, name)
        out.append(KeepTogether([para(name.capitalize(), "h2"), body]))
    if data.fills is not None and not data.fills.empty:
        out.append(para("Slippage is against the order's arrival price, in basis points; positive is a cost "
                        "(a buy above or a sell below it). Money in " + data.currency + ".", "note"))
    return out


def paper_summary(data: ReportData) -> list[Flowable]:
    """The paper portfolio at the period's last ledger day: equity, cash, PnL for the period and in total."""
    paper = data.paper
    if paper is None or paper.empty:
        return []
    last = paper.iloc[-1]
    inside = paper[paper.trade_date >= data.period.start]
    rows = [["Paper portfolio as of", _day(last.trade_date)], ["Equity", money(last.equity, data.currency)],
            ["Cash", money(last.cash, data.currency)],
            ["PnL for the period", money(inside.pnl.sum() if len(inside) else 0.0, data.currency)],
            ["Total PnL", money(last.total_pnl, data.currency)],
            ["Realised PnL (net of fees)", money(last.realised_pnl, data.currency)],
            ["Unrealised PnL", money(last.unrealised_pnl, data.currency)],
            ["Fees paid", money(last.fees, data.currency)], ["Drawdown", pct(last.drawdown)]]
    return [para("Paper portfolio", "h2"), table(["Figure", "Value"], rows, [200, 150], right=(1,))]


def _quantity(value) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{float(value):,.8f}".rstrip("0").rstrip(".")


def _cents(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):,.2f}"


def _bps(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):,.1f}"


def _time(value) -> str:
    stamp = pd.Timestamp(value)
    return "" if pd.isna(stamp) else f"{stamp:%Y-%m-%d %H:%M}"


EXECUTION_COLUMNS = {  # section -> (header, frame column, format, width in points); money to the cent
    "positions": [("Series", "series", str, 90), ("Quantity", "quantity", _quantity, 55),
                  ("Avg cost", "average_cost", _cents, 58), ("Close", "close", _cents, 58),
                  ("Value", "value", _cents, 62), ("Unrealised", "unrealised_pnl", _cents, 58),
                  ("Realised", "realised_pnl", _cents, 55), ("Fees", "fees", _cents, 44)],
    "trades": [("First fill", "ts", _time, 70), ("Series", "series", str, 85), ("Side", "side", str, 28),
               ("Quantity", "quantity", _quantity, 55), ("Avg price", "price", _cents, 62),
               ("Fees", "fees", _cents, 50), ("Slip. bps", "slippage_bps", _bps, 45),
               ("Fills", "n_fills", str, 28), ("Order", "order_id", str, 57)],
    "orders": [("Created", "ts", _time, 70), ("Series", "series", str, 82), ("Side", "side", str, 28),
               ("Amount", "quantity", _quantity, 50), ("Filled", "filled", _quantity, 50),
               ("Status", "status", str, 52), ("Arrival", "arrival_price", _cents, 58),
               ("Slip. bps", "slippage_bps", _bps, 45), ("Order", "order_id", str, 52)],
    "fills": [("Time", "ts", _time, 70), ("Series", "series", str, 85), ("Side", "side", str, 28),
              ("Quantity", "quantity", _quantity, 55), ("Price", "price", _cents, 62), ("Fee", "fees", _cents, 50),
              ("Slip. bps", "slippage_bps", _bps, 45), ("Slippage", "slippage", _cents, 50),
              ("Trade", "trade_id", str, 35)],
}


def execution_table(name: str, frame: pd.DataFrame, currency: str, rows: int = 60) -> Flowable:
    """A ledger section as a table of its main columns (the workbook has every column and row)."""
    if name not in EXECUTION_COLUMNS or not {"exchange", "symbol"} <= set(frame.columns):
        return frame_table(frame, rows)
    shown = frame.head(rows).assign(series=frame.exchange + " " + frame.symbol)
    spec = [c for c in EXECUTION_COLUMNS[name] if c[1] in shown.columns]
    cells = [[fmt(value) if value is not None else "" for (_, _, fmt, _), value
              in zip(spec, (row[column] for _, column, _, _ in spec))] for _, row in shown.iterrows()]
    cells = [[_short(c) if spec[i][1] in ("order_id", "trade_id") else c for i, c in enumerate(r)] for r in cells]
    right = tuple(i for i, (_, _, fmt, _) in enumerate(spec) if fmt in (_quantity, _cents, _bps))
    out = table([h for h, _, _, _ in spec], cells, [w for _, _, _, w in spec], right=right)
    if len(frame) > rows:
        return KeepTogether([out, para(f"... and {len(frame) - rows} more; the workbook lists them all.", "note")])
    return out


def _short(identifier: str) -> str:
    """The tail of a long id (client order ids are 32 characters): enough to find it in the workbook."""
    text = str(identifier)
    return text if len(text) <= 10 else "..." + text[-8:]


def frame_table(frame: pd.DataFrame, rows: int = 60) -> Flowable:
    """Any frame as a plain table: first 8 columns, first `rows` rows."""
    shown = frame.iloc[:rows, :8]
    width = (CHART_WIDTH - 4) / max(len(shown.columns), 1)
    cells = [[_cell(v) for v in row] for row in shown.itertuples(index=False)]
    return table([str(c) for c in shown.columns], cells, [width] * len(shown.columns))


def _cell(value) -> str:
    if isinstance(value, float):
        return ratio(value)
    return "" if value is None else str(value)


def quality(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Data quality", "h1")]
    if data.quality.empty:
        return [*out, missing(data, "quality")]
    counts = data.quality_counts()
    out += [para("Partitions of the period by validation status", "h2"),
            table(list(counts), [[str(n) for n in counts.values()]], [80] * len(counts), right=tuple(range(4)))]
    return out + quality_issues(data.quality)


QUALITY_GROUPS = (  # (status, heading): each heading only over rows of its status
    ("quarantined", "Partitions that did not pass (quarantined: kept out of the warehouse)"),
    ("flagged", "Partitions that passed with a warning (flagged: in the warehouse, worth a look)"),
    ("gap", "Missing candles, per series and day"),
)


def quality_issues(frame: pd.DataFrame) -> list[Flowable]:
    issues = frame[frame["status"] != "passed"]
    if issues.empty:
        return [para("Every partition passed validation.", "body")]
    out: list[Flowable] = []
    shown = 0
    for status, heading in QUALITY_GROUPS:
        rows_of = issues[issues["status"] == status].sort_values(["date", "exchange", "symbol"])
        if rows_of.empty:
            continue
        room = max(QUALITY_ROWS - shown, 10)
        rows = [[f"{r.exchange} {r.symbol}", r.timeframe, _day(r.date),
                 Paragraph(escape("" if pd.isna(r.detail) else str(r.detail)), STYLES["cell"])]
                for r in rows_of.head(room).itertuples()]
        out += [para(heading, "h2"), table(["Series", "Timeframe", "Date", "What"], rows, [110, 55, 62, 265])]
        if len(rows_of) > room:
            out.append(para(f"... and {len(rows_of) - room} more; the workbook lists them all.", "note"))
        shown += len(rows)
    return out


def sweeps(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Parameter sweeps", "h1")]
    if data.sweep_rule:
        out.append(para(f"Which runs: {data.sweep_rule}", "note"))
    out += [*walk_forward(data),
                           para("Best parameters found overnight (in sample)", "h2")]
    out.append(sweeps_table(data) if not data.sweeps_best.empty else missing(data, "sweeps"))
    out.append(para("Sweep heatmaps", "h2"))
    if not data.sweep_heatmaps:
        return [*out, para("No sweep heatmap for this period.", "missing")]
    return out + [heatmap(Path(p)) for p in data.sweep_heatmaps]


def sweeps_table(data: ReportData) -> Table:
    rows = [[f"{r.sweep}\n{r.strategy}", f"{r.exchange} {r.symbol}\n{r.timeframe}",
             f"{r.objective}\n{_objective(r.objective, r.objective_value)}", _params(r.params), _odds(r),
             ratio(r.sharpe_ratio), pct(r.total_return), pct(r.max_drawdown), _loaded(r.loaded_at)]
            for r in data.sweeps_best.itertuples()]
    header = ["Sweep / strategy", "Series / timeframe", "Objective", "Parameters", "Luck?", "Sharpe",
              "Total return", "Max drawdown", "Loaded (UTC)"]
    return table(header, [[Paragraph(escape(str(v)).replace("\n", "<br/>"), STYLES["cell"]) if i < 5 else v
                           for i, v in enumerate(row)] for row in rows],
                 [66, 66, 58, 62, 62, 34, 44, 46, 54], right=(5, 6, 7))


def _odds(row) -> str:
    """The verdict on the best with its deflated Sharpe ratio and PBO (docs/definitions.md, "Overfitting odds")."""
    verdict = getattr(row, "verdict", None)
    if not isinstance(verdict, str):
        return "no odds"
    pbo = getattr(row, "pbo", None)
    return f"{verdict}\nDSR {ratio(row.dsr)}" + ("" if pbo is None or pd.isna(pbo) else f", PBO {ratio(pbo)}")


def walk_forward(data: ReportData) -> list[Flowable]:
    """Out of sample first: what the params chosen in sample earned on the bars after; in sample after."""
    out: list[Flowable] = [para("Out of sample: walk-forward sweeps", "h2")]
    frame = data.sweeps_walk_forward
    if frame is None or frame.empty:
        return [*out, missing(data, "walk_forward")]
    rows = [[Paragraph(escape(f"{r.sweep}\n{r.strategy}").replace("\n", "<br/>"), STYLES["cell"]),
             f"{r.scheme}, {r.folds} folds", ratio(r.oos_sharpe_ratio), pct(r.oos_total_return),
             pct(r.oos_max_drawdown), ratio(r.is_sharpe_ratio), pct(r.is_total_return), pct(r.is_max_drawdown),
             ratio(r.degradation_sharpe_ratio), _loaded(r.loaded_at)] for r in frame.itertuples()]
    header = ["Sweep / strategy", "Folds", "OOS Sharpe", "OOS return", "OOS max DD", "IS Sharpe", "IS return",
              "IS max DD", "Sharpe OOS - IS", "Loaded (UTC)"]
    note = para("Means over the folds of the latest run: out of sample (OOS) is what the parameters chosen in "
                "sample (IS) earned on the bars that followed.", "note")
    return [*out, table(header, rows, [78, 56, 40, 44, 44, 38, 42, 42, 44, 60], right=tuple(range(2, 9))), note]


def _objective(name: str, value: float) -> str:
    return pct(value) if str(name).endswith(("return", "drawdown")) else ratio(value)


def _params(text) -> str:
    try:
        params = json.loads(text)
    except (TypeError, ValueError):
        return str(text)
    return ", ".join(f"{k}={v}" for k, v in params.items()) if isinstance(params, dict) else str(params)


def _loaded(at) -> str:
    stamp = pd.Timestamp(at)
    if pd.isna(stamp):
        return "n/a"
    return f"{(stamp.tz_convert('UTC') if stamp.tzinfo else stamp):%Y-%m-%d %H:%M}"


def heatmap(path: Path) -> Flowable:
    """A sweep heatmap PNG embedded as it is, or a line saying why it is not."""
    if not path.is_file():
        return para(f"Sweep heatmap not found: {path}", "missing")
    try:
        body = image(path, max_height=4.2 * inch)
    except OSError as error:
        return para(f"Sweep heatmap could not be read: {path} ({error.__class__.__name__})", "missing")
    return KeepTogether([para(path.name, "note"), body, Spacer(1, 6)])
