"""The report as a PDF: `render_pdf(data, path)`, laid out with ReportLab's platypus on A4.

Page 1 is the ten-second read: the headline figures, the circuit breaker and what
needs attention. Then, each starting a new page: performance (equity, drawdown,
returns), risk (volatility, correlation, stress), portfolio (allocation,
performers) followed by execution, and data quality followed by the overnight
parameter sweeps (pdf_sections.py). Every page carries "Page N of M", the period
and the generation time: the document is laid out twice, the first to count pages.

The file is written atomically: a temporary file in the same folder, fsynced,
then os.replace onto `path`; on any error the temporary file is removed and a
previous file at `path` is left as it was.
"""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (CondPageBreak, Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from include.atomic import atomic_path
from include.reports import pdf_sections as sections
from include.reports.formatting import money, pct, ratio, timestamp
from include.reports.model import BENCHMARK_LABEL, Headline, ReportData, whose_money
from include.reports.pdf_sections import BOLD, FONT, GREY, RULE, STYLES, para

MARGINS = {"leftMargin": 16 * mm, "rightMargin": 16 * mm, "topMargin": 22 * mm, "bottomMargin": 18 * mm}
PAGE_WIDTH, PAGE_HEIGHT = A4


def render_pdf(data: ReportData, path: Path) -> Path:
    """Write the report for `data` to `path` (replacing it atomically) and return `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary, open(temporary, "xb") as out:
        out.write(pdf_bytes(data))
    return path


def pdf_bytes(data: ReportData) -> bytes:
    """The PDF in memory: laid out once to count the pages, then again with "Page N of M"."""
    pngs = sections.chart_pngs(data)
    _, pages = _layout(data, pngs, total=None)
    content, again = _layout(data, pngs, total=pages)
    if again != pages:
        raise RuntimeError(f"the layout changed between passes ({pages} then {again} pages)")
    return content


def _layout(data: ReportData, pngs: dict[str, bytes | None], total: int | None) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=data.period.title, author="Peak Trade",
                            subject=f"{period_text(data)}, generated {timestamp(data.generated_at)}",
                            creator="Peak Trade reports (include/reports/pdf.py)", **MARGINS)
    pages: list[int] = []

    def decorate(canvas: Canvas, _doc) -> None:
        pages.append(canvas.getPageNumber())
        header_footer(canvas, data, total)

    doc.build(story(data, pngs), onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue(), len(pages)


def period_text(data: ReportData) -> str:
    return f"{data.period.start.isoformat()} to {data.period.end.isoformat()}"


def header_footer(canvas: Canvas, data: ReportData, total: int | None) -> None:
    """Header: report and period covered; footer: generation time and "Page N of M"; thin grey rules."""
    left, right = MARGINS["leftMargin"], PAGE_WIDTH - MARGINS["rightMargin"]
    top, bottom = PAGE_HEIGHT - 12 * mm, 10 * mm
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, top - 2.5 * mm, right, top - 2.5 * mm)
    canvas.line(left, bottom + 4 * mm, right, bottom + 4 * mm)
    canvas.setFillColor(GREY)
    canvas.setFont(BOLD, 8)
    canvas.drawString(left, top, f"Peak Trade - {data.period.kind} report {data.period.label}")
    canvas.setFont(FONT, 8)
    canvas.drawRightString(right, top, f"Period {period_text(data)} (UTC days)")
    canvas.drawString(left, bottom, f"Generated {timestamp(data.generated_at)}")
    canvas.drawRightString(right, bottom, f"Page {canvas.getPageNumber()} of {total or '?'}")
    canvas.restoreState()


def story(data: ReportData, pngs: dict[str, bytes | None]) -> list[Flowable]:
    # A hard break after page 1; elsewhere a section starts on a new page
    # only when less than a third of one is left, so no page ends half empty.
    return [*first_page(data, pngs), PageBreak(), *sections.performance(data, pngs), CondPageBreak(3.5 * inch),
            *sections.risk(data, pngs), CondPageBreak(3.5 * inch), *sections.portfolio(data, pngs), Spacer(1, 6),
            *sections.execution(data), CondPageBreak(3.5 * inch), *sections.quality(data),
            CondPageBreak(3 * inch), *sections.sweeps(data)]


def first_page(data: ReportData, pngs: dict[str, bytes | None] | None = None) -> list[Flowable]:
    if data.benchmark is not None:
        return first_page_with_benchmark(data, pngs)
    h = data.headline
    as_of = f" as of {h.as_of.isoformat()}" if h.as_of else ""
    figures = f"Figures{as_of}, the last day with a portfolio return. " if h.as_of else ""
    out: list[Flowable] = [
        para(data.period.title, "title"),
        para(f"Covers {period_text(data)} (UTC days). {figures}Money in {data.currency}. "
             f"Generated {timestamp(data.generated_at)}.", "body"),
        para(whose_money(data), "whose"), Spacer(1, 4)]
    if h.as_of is None:
        out.append(sections.missing(data, "headline"))
    out += [key_figures(data), para(BREAKER_LEVELS, "note"), Spacer(1, 2),
            para(f"Risk metrics over the rolling window of {h.metrics_window_days} days{as_of}", "h2"),
            risk_table(h),
            para("VaR and CVaR are historical, one day, and shown as positive losses (4.00 % = a loss of 4 % "
                 "of value in a day). Max drawdown is over the same window; current drawdown is from the "
                 "running peak of equity.", "note")]
    return out + attention(data) + sections.first_page_tables(data, pngs)


def _breaker_levels() -> str:
    from include.execution.breaker import thresholds

    warn, halve, halt = thresholds()
    return (f"Circuit breaker, on the drawdown from the peak of equity: level 0 normal; 1 warn at {warn:.0%}; "
            f"2 halve (risk-increasing orders halved) at {halve:.0%}; 3 halt (rebalances refused, only "
            f"risk-reducing orders) at {halt:.0%}.")


BREAKER_LEVELS = _breaker_levels()


def breaker_text(h: Headline) -> str:
    return h.breaker_state if h.breaker_level is None else f"{h.breaker_state} (level {h.breaker_level})"


def key_figures(data: ReportData) -> Table:
    """Six tiles: equity, PnL, period return; circuit breaker, current drawdown, max drawdown."""
    h = data.headline
    tiles = [("Equity (benchmark)" if h.portfolio == "universe" else "Equity", money(h.equity, data.currency)), ("PnL for the period", money(h.pnl, data.currency)),
             ("Period return", pct(h.period_return)), ("Circuit breaker", breaker_text(h)),
             (_drawdown_label(h), pct(h.drawdown)), (f"Max drawdown ({h.metrics_window_days} days)",
                                                     pct(h.max_drawdown))]
    cells = [[para(label, "tile_label"), para(value, "tile_value")] for label, value in tiles]
    style = [("BOX", (0, 0), (-1, -1), 0.6, GREY), ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 7), ("LEFTPADDING", (0, 0), (-1, -1), 6)]
    if h.breaker_level:  # above normal: a heavy frame around the breaker tile, readable in black and white
        style.append(("BOX", (0, 1), (0, 1), 2, "black"))
    return Table([cells[:3], cells[3:]], colWidths=[164] * 3, style=TableStyle(style), hAlign="LEFT")


def _drawdown_label(h: Headline) -> str:
    """The current drawdown's label names the peak it is measured from, so no date reads like the peak's."""
    return f"Drawdown from the peak of {h.peak_date}" if h.peak_date else "Current drawdown"


def risk_table(h: Headline) -> Table:
    pairs = [("Annual return", pct(h.annual_return)), ("Annual volatility", pct(h.annual_volatility)),
             ("Sharpe ratio", ratio(h.sharpe_ratio)), ("Sortino ratio", ratio(h.sortino_ratio)),
             ("Calmar ratio", ratio(h.calmar_ratio)), ("Max drawdown", pct(h.max_drawdown)),
             ("VaR 95 %", pct(h.var_95)), ("CVaR 95 %", pct(h.cvar_95)),
             ("VaR 99 %", pct(h.var_99)), ("CVaR 99 %", pct(h.cvar_99))]
    cells = [[para(label, "cell"), para(value, "value")] for label, value in pairs]
    rows = [cells[i] + cells[i + 1] for i in range(0, len(cells), 2)]
    style = [("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE), ("LINEABOVE", (0, 0), (-1, 0), 0.6, GREY),
             ("LINEBELOW", (0, -1), (-1, -1), 0.6, GREY), ("TOPPADDING", (0, 0), (-1, -1), 3),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("LINEAFTER", (1, 0), (1, -1), 0.25, RULE)]
    return Table(rows, colWidths=[140, 106, 140, 106], style=TableStyle(style), hAlign="LEFT")


def first_page_with_benchmark(data: ReportData, pngs: dict[str, bytes | None] | None = None) -> list[Flowable]:
    """Page 1 once the paper portfolio covers the period: its figures, the equal-weight universe's beside them."""
    h, b = data.headline, data.benchmark
    return [
        para(data.period.title, "title"),
        para(f"Covers {period_text(data)} (UTC days). Headline: the {h.label.lower()} (the desk's ledger) as of "
             f"{h.as_of.isoformat()}, its last ledger day; beside it the {BENCHMARK_LABEL.lower()}. "
             f"Money in {data.currency}. Generated {timestamp(data.generated_at)}.", "body"),
        para(whose_money(data), "whose"), Spacer(1, 4),
        compare_table(data, key_rows(h, b, data.currency), "tile_value"), para(BREAKER_LEVELS, "note"),
        para(f"Risk metrics over the rolling window of {h.metrics_window_days} days", "h2"),
        compare_table(data, risk_rows(h, b), "value"),
        para("VaR and CVaR are historical, one day, and shown as positive losses (4.00 % = a loss of 4 % "
             "of value in a day). Max drawdown is over the same window; current drawdown is from the "
             "running peak of equity. The paper portfolio's metrics are computed from its daily returns in the "
             "ledger (fct_pnl) with the warehouse's definitions; the benchmark's are the warehouse's."
             + paper_metrics_why(data), "note"),
        *attention(data), *sections.first_page_tables(data, pngs)]


def paper_metrics_why(data: ReportData) -> str:
    """Why the paper portfolio's risk metrics are n/a: too few daily returns in its ledger so far."""
    h = data.headline
    if h.sharpe_ratio is not None or data.paper is None:
        return ""
    days = int(data.paper.daily_return.notna().sum())
    return (f" Paper n/a: its ledger has {days} daily return{'s' if days != 1 else ''} so far; volatility, "
            "ratios and VaR need at least two.")


def key_rows(h: Headline, b: Headline, currency: str) -> list[tuple[str, str, str]]:
    """(figure, paper, benchmark) of the key figures, the tiles of the one-portfolio page."""
    return [("As of", _day(h), _day(b)), ("Equity", money(h.equity, currency), money(b.equity, currency)),
            ("PnL for the period", money(h.pnl, currency), money(b.pnl, currency)),
            ("Period return", pct(h.period_return), pct(b.period_return)),
            ("Circuit breaker", breaker_text(h), breaker_text(b)),
            (_drawdown_label(h) + ("" if b.peak_date == h.peak_date or b.peak_date is None
                                   else f" (benchmark's: {b.peak_date})"), pct(h.drawdown), pct(b.drawdown)),
            (f"Max drawdown ({h.metrics_window_days} days)", pct(h.max_drawdown), pct(b.max_drawdown))]


def risk_rows(h: Headline, b: Headline) -> list[tuple[str, str, str]]:
    return [(label, fmt(getattr(h, name)), fmt(getattr(b, name))) for label, name, fmt in RISK_FIGURES]


RISK_FIGURES = [("Annual return", "annual_return", pct), ("Annual volatility", "annual_volatility", pct),
                ("Sharpe ratio", "sharpe_ratio", ratio), ("Sortino ratio", "sortino_ratio", ratio),
                ("Calmar ratio", "calmar_ratio", ratio), ("Max drawdown", "max_drawdown", pct),
                ("VaR 95 %", "var_95", pct), ("CVaR 95 %", "cvar_95", pct),
                ("VaR 99 %", "var_99", pct), ("CVaR 99 %", "cvar_99", pct)]


def _day(h: Headline) -> str:
    return h.as_of.isoformat() if h.as_of else "n/a"


def compare_table(data: ReportData, rows: list[tuple[str, str, str]], style: str) -> Table:
    """Figure | Paper portfolio | Benchmark: the headline's value in `style`, the benchmark's in plain text.
    A breaker above normal gets a heavy frame, readable in black and white."""
    header = [para("", "head"), para(data.headline.label, "head_right"), para(BENCHMARK_LABEL, "head_right")]
    big = "tile_value_right" if style == "tile_value" else style
    body = [[para(label, "cell"), para(ours, "value" if label == "As of" else big), para(theirs, "cell_right")]
            for label, ours, theirs in rows]
    rules = [("LINEBELOW", (0, 0), (-1, 0), 0.6, GREY), ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
             ("LINEBELOW", (0, -1), (-1, -1), 0.6, GREY), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    for row, (label, _, _) in enumerate(rows, start=1):
        if label == "Circuit breaker":
            if data.headline.breaker_level:
                rules.append(("BOX", (1, row), (1, row), 2, "black"))
            if data.benchmark.breaker_level:
                rules.append(("BOX", (2, row), (2, row), 2, "black"))
    return Table([header, *body], colWidths=[170, 160, 160], style=TableStyle(rules), hAlign="LEFT")


def attention(data: ReportData) -> list[Flowable]:
    out: list[Flowable] = [para("Needs attention", "h2")]
    if not data.attention:
        return [*out, para("Nothing needs attention.", "body")]
    return out + [Paragraph(escape(line), STYLES["bullet"], bulletText="\u2022") for line in data.attention]
