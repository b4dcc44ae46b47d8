"""The Desk page as one HTML document: tiles for what needs an answer first (equity, PnL, breaker,
kill switch, data quality), charts, then the tables. Self-contained: inline CSS and SVG, no script.

Links are relative to the page (served at the plugin's root), so the page works behind a proxy
path: "files/reports/<path>" downloads a report, "data-quality/index.html" opens the validation
report, "../dags/<dag_id>/runs/<run_id>" opens a run in the Airflow UI (target _top: the page sits
in the UI's iframe).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from urllib.parse import quote

import pandas as pd

from include.desk_view.charts import Line, line_chart
from include.desk_view.figures import DeskFigures
from include.reports.formatting import NA, money, pct, price

PAPER_COLOUR, BENCHMARK_COLOUR = "#1f6feb", "#8a8f98"
BREAKER_CLASS = {0: "ok", 1: "warn", 2: "warn", 3: "bad"}
RUN_STATE_CLASS = {"success": "ok", "failed": "bad", "running": "info", "queued": "info", "upstream_failed": "bad"}


@dataclass
class AirflowFacts:
    """What only Airflow knows, read by the plugin: the kill switch and each DAG's last run."""
    kill_switch_variable: str
    kill_switch_value: str | None  # None: the Variable is not set (released)
    kill_switch_engaged: bool
    dag_runs: list[dict] = field(default_factory=list)  # dag_id, paused, run_id, state, run_after, start, end
    user: str | None = None


def render(fig: DeskFigures, facts: AirflowFacts) -> str:
    body = [
        _header(fig, facts),
        _tiles(fig, facts),
        '<section class="row">', _card("Equity (indexed to 100 at the paper desk's first day)", _equity_chart(fig)),
        _card("Drawdown from the running peak", _drawdown_chart(fig)), "</section>",
        _card(_positions_title(fig), _positions(fig)),
        _card(_day_title(fig, "Orders") + ' <span class="muted">slippage against the arrival price, + = a cost</span>',
              _orders(fig)),
        _card(_day_title(fig, "Fills"), _fills(fig)),
        '<section class="row">', _card("Data quality: latest validation", _quality(fig)),
        _card("Reports", _reports(fig)), "</section>",
        _card("Best parameters of the last sweeps", _sweeps(fig)),
        _card("DAGs: last run of each", _dag_runs(facts)),
    ]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Peak Trade desk</title><style>{CSS}</style></head><body>{''.join(body)}</body></html>")


# -- pieces ------------------------------------------------------------------------------------------

def _header(fig: DeskFigures, facts: AirflowFacts) -> str:
    who = f" &middot; signed in as {escape(facts.user)}" if facts.user else ""
    return (f'<header><h1>Peak Trade desk</h1><span class="muted">as of {fig.generated_at:%Y-%m-%d %H:%M} UTC'
            f'{who} &middot; figures from the warehouse exports and the ledger</span></header>')


def _tile(label: str, value: str, sub: str = "", cls: str = "", test_id: str = "") -> str:
    tid = f' data-testid="{test_id}"' if test_id else ""
    return (f'<div class="tile {cls}"{tid}><div class="label">{escape(label)}</div>'
            f'<div class="value">{value}</div><div class="sub">{sub}</div></div>')


def _signed(value: float | None) -> str:
    return "" if value is None else ("pos" if value > 0 else "neg" if value < 0 else "")


def _tiles(fig: DeskFigures, facts: AirflowFacts) -> str:
    cur = fig.currency
    tiles = []
    for p, name in ((fig.paper, "Paper portfolio"), (fig.benchmark, "Benchmark (equal-weight universe)")):
        if p.equity is None:
            tiles.append(_tile(name, NA, escape(p.missing or ""), "", f"{p.label}-equity"))
            continue
        sub = (f'day PnL <b class="{_signed(p.day_pnl)}" data-testid="{p.label}-day-pnl">{escape(money(p.day_pnl, cur))}</b>'
               f' ({escape(pct(p.day_return))}) &middot; total PnL <b class="{_signed(p.total_pnl)}" '
               f'data-testid="{p.label}-total-pnl">{escape(money(p.total_pnl, cur))}</b><br>'
               f'drawdown {escape(pct(p.drawdown))} &middot; as of {p.as_of}')
        tiles.append(_tile(name, f'<span data-testid="{p.label}-equity">{escape(money(p.equity, cur))}</span>', sub))
    b = fig.breaker
    warn, halve, halt = b.thresholds
    explain = f"levels: 1 warn at {warn:.0%}, 2 halve at {halve:.0%}, 3 halt at {halt:.0%} drawdown"
    if b.level is None:
        tiles.append(_tile("Circuit breaker", "no mark yet", explain, "", "breaker"))
    else:
        tiles.append(_tile("Circuit breaker", f'<span data-testid="breaker">level {b.level} ({escape(b.action)})</span>',
                           f"drawdown {escape(pct(b.drawdown))} at {b.at:%Y-%m-%d %H:%M} UTC ({escape(b.source)})"
                           f"<br>{explain}", BREAKER_CLASS.get(b.level, "")))
    state = "ENGAGED" if facts.kill_switch_engaged else "released"
    tiles.append(_tile("Kill switch", f'<span data-testid="kill-switch">{state}</span>',
                       f"Airflow Variable <code>{escape(facts.kill_switch_variable)}</code> = "
                       f"{escape(repr(facts.kill_switch_value)) if facts.kill_switch_value is not None else 'not set'}",
                       "bad" if facts.kill_switch_engaged else "ok"))
    q = fig.quality
    if q.run is None:
        tiles.append(_tile("Data quality", "no validation yet", _dq_link(fig), "", "quality"))
    else:
        cls = "bad" if q.quarantined else "warn" if q.flagged else "ok"
        tiles.append(_tile("Data quality", f'<span class="small" data-testid="quality">{q.passed} passed &middot; {q.flagged} flagged '
                           f'&middot; {q.quarantined} quarantined</span>',
                           f"run {escape(q.run)} at {q.validated_at:%Y-%m-%d %H:%M} UTC {_dq_link(fig)}", cls))
    return f'<section class="tiles">{"".join(tiles)}</section>'


def _dq_link(fig: DeskFigures) -> str:
    if fig.quality.report is None:
        return '<span class="muted">(no data-quality report written yet)</span>'
    return '<a href="data-quality/index.html" target="_blank" data-testid="quality-report">open the report</a>'


def _card(title: str, content: str) -> str:
    return f'<article class="card"><h2>{title}</h2>{content}</article>'


def _equity_chart(fig: DeskFigures) -> str:
    lines = []
    start = fig.paper.history.trade_date.min() if len(fig.paper.history) else None
    for p, colour in ((fig.paper, PAPER_COLOUR), (fig.benchmark, BENCHMARK_COLOUR)):
        h = p.history
        if start is not None:
            h = h[h.trade_date >= start]
        if h.empty or not h.equity.iloc[0]:
            continue
        lines.append(Line(f"{p.label}", colour, list(h.trade_date), list(h.equity / h.equity.iloc[0] * 100)))
    return line_chart(lines, lambda v: f"{v:,.1f}", title="equity, 100 = first day shown")


def _drawdown_chart(fig: DeskFigures) -> str:
    """Over the equity chart's days (from the paper desk's first), so the two read side by side."""
    start = fig.paper.history.trade_date.min() if len(fig.paper.history) else None
    lines = []
    for p, colour in ((fig.paper, PAPER_COLOUR), (fig.benchmark, BENCHMARK_COLOUR)):
        h = p.history if start is None else p.history[p.history.trade_date >= start]
        if len(h):
            lines.append(Line(p.label, colour, list(h.trade_date), list(h.drawdown), fill=True))
    return line_chart(lines, lambda v: f"{v * 100:.1f} %", title="drawdown, % below the peak")


def _table(frame: pd.DataFrame, columns: dict[str, callable], test_id: str, empty: str) -> str:
    if frame is None or frame.empty:
        return f'<p class="missing" data-testid="{test_id}-empty">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for fmt in columns.values():
            text, cls = fmt(row)
            cells.append(f'<td class="{cls}">{text}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table data-testid="{test_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _text(col: str):
    return lambda r: (escape("" if pd.isna(r[col]) else str(r[col])), "")


def _num(col: str, fmt, signed: bool = False, cost: bool = False):
    """signed: green above zero, red below; cost: the other way (slippage: + is a cost)."""
    def cell(r):
        v = r[col]
        value = None if pd.isna(v) else float(v)
        cls = _signed(-value if cost and value is not None else value) if signed else ""
        return escape(fmt(v)), "num " + cls
    return cell


def _bps(v) -> str:
    return NA if v is None or pd.isna(v) else f"{v:+.1f} bp"


def _qty(v) -> str:
    return NA if v is None or pd.isna(v) else f"{v:,.6f}".rstrip("0").rstrip(".")


def _time(col: str):
    return lambda r: (escape(f"{pd.Timestamp(r[col]):%H:%M:%S}" if pd.notna(r[col]) else NA), "")


def _positions_title(fig: DeskFigures) -> str:
    as_of = fig.positions.as_of_date.iloc[0] if len(fig.positions) else None
    target = f"targets of rebalance <code>{escape(fig.target_run)}</code>" if fig.target_run else \
        "no rebalance recorded yet: no targets"
    return f"Positions and weights against targets{f' (as of {as_of})' if as_of else ''} &middot; {target}"


def _positions(fig: DeskFigures) -> str:
    cur = fig.currency
    return _table(fig.positions, {
        "symbol": lambda r: (escape(f"{r.symbol}"), ""), "venue": _text("exchange"),
        "quantity": _num("quantity", _qty), "avg cost": _num("average_cost", price), "close": _num("close", price),
        f"value ({cur})": _num("value", lambda v: money(v, "").strip()), "weight": _num("weight", pct),
        "target": _num("target", pct), "drift": _num("drift", pct, signed=True),
        f"unrealised ({cur})": _num("unrealised_pnl", lambda v: money(v, "").strip(), signed=True),
    }, "positions", "no position yet: the paper desk has not traded")


def _day_title(fig: DeskFigures, what: str) -> str:
    if fig.desk_day is None:
        return what
    today = fig.generated_at.astimezone(timezone.utc).date()
    when = "today" if fig.desk_day == today else f"of {fig.desk_day}, the desk's last day with orders"
    return f"{what} {when} ({fig.desk_day})" if fig.desk_day == today else f"{what} {when}"


def _orders(fig: DeskFigures) -> str:
    return _table(fig.orders, {
        "time": _time("time"), "symbol": _text("symbol"), "side": _text("side"), "amount": _num("amount", _qty),
        "status": _text("status"), "filled": _num("filled", _qty), "avg price": _num("average_price", price),
        "arrival": _num("arrival_price", price), "slippage": _num("slippage_bps", _bps, signed=True, cost=True),
        "fees": _num("fees", lambda v: money(v, "").strip()),
    }, "orders", "no order yet")


def _fills(fig: DeskFigures) -> str:
    cur = fig.currency
    return _table(fig.fills, {
        "time": _time("time"), "symbol": _text("symbol"), "side": _text("side"), "amount": _num("amount", _qty),
        "price": _num("price", price), "arrival": _num("arrival_price", price),
        "slippage": _num("slippage_bps", _bps, signed=True, cost=True),
        f"slippage ({cur})": _num("slippage", lambda v: money(v, "").strip(), signed=True, cost=True),
        "fee": _num("fee", lambda v: money(v, "").strip()),
    }, "fills", "no fill yet")


def _quality(fig: DeskFigures) -> str:
    q = fig.quality
    if q.run is None:
        return f'<p class="missing">no validation run yet (market_data_ingest validates what it lands). {_dq_link(fig)}</p>'
    summary = (f'<p>Run <code>{escape(q.run)}</code>: <b class="pos">{q.passed} passed</b>, '
               f'<b class="{"warn-text" if q.flagged else ""}">{q.flagged} flagged</b>, '
               f'<b class="{"neg" if q.quarantined else ""}">{q.quarantined} quarantined</b>. {_dq_link(fig)}</p>')
    problems = q.problems.head(12)
    table = _table(problems, {"status": _text("status"), "series": lambda r: (
        escape(f"{r.exchange} {r.symbol} {r.timeframe}"), ""), "day": _text("date"), "why": lambda r: (
        escape(str(r.detail)), "wrap")},
        "quality-problems", "every partition passed without a flag")
    more = f'<p class="muted">and {len(q.problems) - 12} more in the report</p>' if len(q.problems) > 12 else ""
    return summary + table + more


def _reports(fig: DeskFigures) -> str:
    if not fig.reports:
        return '<p class="missing">no report yet (daily_report and weekly_report write them)</p>'
    items = []
    for kind, files in fig.reports.items():
        links = []
        for ext, label in (("pdf", "PDF"), ("xlsx", "Excel")):
            if ext in files:
                rel = files[ext].relative_to(fig.reports_dir).as_posix()
                links.append(f'<a href="files/reports/{quote(rel)}" download data-testid="report-{kind}-{ext}">'
                             f'{label}: {escape(files[ext].name)}</a>')
        items.append(f"<li><b>{kind.capitalize()}</b> &middot; {' &middot; '.join(links)}</li>")
    return f'<ul class="links">{"".join(items)}</ul>'


def _sweeps(fig: DeskFigures) -> str:
    frame = fig.sweeps
    if frame.empty:
        return '<p class="missing" data-testid="sweeps-empty">no sweep results yet (nightly_sweep loads them)</p>'
    return _table(frame, {
        "sweep": _text("sweep"), "strategy": _text("strategy"), "series": lambda r: (
            escape(f"{r.exchange} {r.symbol} {r.timeframe}"), ""), "params": lambda r: (
            f"<code>{escape(str(r.params))}</code>", ""), "objective": lambda r: (
            escape(f"{r.objective} = {r.objective_value:,.3f}" if pd.notna(r.objective_value) else NA), ""),
        "Sharpe": _num("sharpe_ratio", lambda v: NA if pd.isna(v) else f"{v:,.2f}"),
        "return": _num("total_return", pct, signed=True), "max DD": _num("max_drawdown", pct),
        "verdict": _text("verdict"), "loaded": lambda r: (escape(f"{pd.Timestamp(r.loaded_at):%Y-%m-%d %H:%M}"), ""),
    }, "sweeps", "no sweep results yet")


def _dag_runs(facts: AirflowFacts) -> str:
    if not facts.dag_runs:
        return '<p class="missing">no DAG known to Airflow yet</p>'
    rows = []
    for r in facts.dag_runs:
        dag = quote(r["dag_id"], safe="")
        if r.get("run_id"):
            run = f'<a href="../dags/{dag}/runs/{quote(r["run_id"], safe="")}" target="_top">{escape(r["run_id"])}</a>'
            state = r.get("state") or "none"
            pill = f'<span class="pill {RUN_STATE_CLASS.get(state, "")}">{escape(state)}</span>'
        else:
            run, pill = '<span class="muted">never run</span>', ""
        when = _when(r.get("end_date") or r.get("start_date") or r.get("run_after"))
        paused = ' <span class="muted">(paused)</span>' if r.get("paused") else ""
        rows.append(f'<tr data-dag="{escape(r["dag_id"])}"><td><a href="../dags/{dag}" target="_top">'
                    f'{escape(r["dag_id"])}</a>{paused}</td><td>{pill}</td><td>{run}</td><td>{when}</td></tr>')
    return ('<table data-testid="dag-runs"><thead><tr><th>DAG</th><th>state</th><th>last run</th><th>when (UTC)</th>'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _when(at) -> str:
    if at is None:
        return ""
    at = at if isinstance(at, datetime) else pd.Timestamp(at).to_pydatetime()
    return escape(f"{at.astimezone(timezone.utc):%Y-%m-%d %H:%M}")


CSS = """
*{box-sizing:border-box}
body{margin:0;padding:16px 20px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1c2128;background:#f4f6f8}
header{display:flex;align-items:baseline;gap:14px;margin-bottom:12px}
h1{font-size:20px;margin:0}
h2{font-size:14px;margin:0 0 8px;color:#444c56;font-weight:600}
.muted{color:#6e7781;font-size:12px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:10px;margin-bottom:10px}
.tile{background:#fff;border-radius:8px;padding:10px 14px;border-left:6px solid #d0d7de;box-shadow:0 1px 2px #0001}
.tile.ok{border-left-color:#2da44e}.tile.warn{border-left-color:#d4a72c}.tile.bad{border-left-color:#cf222e;background:#fff5f5}
.tile .label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.03em}
.tile .value{font-size:22px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}
.tile .value .small{font-size:16px}
.tile .sub{font-size:12px;color:#57606a}
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:12px 14px;margin-bottom:10px;box-shadow:0 1px 2px #0001;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;color:#57606a;font-weight:600;border-bottom:1px solid #d0d7de;padding:4px 8px;white-space:nowrap}
td{padding:4px 8px;border-bottom:1px solid #eaeef2;white-space:nowrap}
td.wrap{white-space:normal;word-break:break-word}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f8fafc}
.pos{color:#1a7f37}.neg{color:#cf222e}.warn-text{color:#9a6700}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eaeef2}
.pill.ok{background:#dafbe1;color:#1a7f37}.pill.bad{background:#ffebe9;color:#cf222e}.pill.info{background:#ddf4ff;color:#0969da}
.missing{color:#6e7781;font-style:italic;margin:4px 0}
code{font-size:12px;background:#f0f2f4;padding:0 4px;border-radius:4px}
a{color:#0969da}
ul.links{margin:0;padding-left:18px}ul.links li{margin:4px 0}
.chart{display:block;max-height:260px}
.chart .grid{stroke:#eaeef2}.chart .tick{font-size:11px;fill:#6e7781}
.chart .chart-title{font-size:12px;fill:#57606a}.chart .legend{font-size:12px;font-weight:600}
"""
