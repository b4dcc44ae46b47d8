"""The morning figures of the Desk page, gathered from files (no Airflow, no DuckDB file).

- paper: the paper (or live) portfolio's equity, day PnL, total PnL and drawdown, from fct_pnl's
  level='total' rows; benchmark: the equal-weight universe's, from fct_portfolio_daily.
- positions: fct_pnl's symbol rows of its last day, weight = market value / that day's equity;
  target: what the last rebalance (fct_desk_runs, not a dry run) aimed at, i.e. its preview's
  weight after for a symbol it traded and its weight before for one it kept within drift.
- orders and fills: fct_orders / fct_fills of the desk's day: today (UTC) when it has orders,
  else the last day that has (labelled so), slippage against the arrival price (+ = a cost).
- breaker: the ledger's last equity mark (its level is the desk's breaker level).
- quality: the latest validation run (data/validation/results/run=*.parquet).
- sweeps: each sweep's best parameters of its latest run (export_readers.sweeps_before).
- reports: the newest daily and weekly PDF and workbook under the reports directory.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from include.execution.breaker import ACTIONS, thresholds
from include.execution.ledger import open_ledger
from include.paths import DataPaths
from include.reports.export_readers import ledger_marts, portfolio_daily, read_export, sweeps_before
from include.validation.plain_words import describe_list

DATA_QUALITY_REPORT = Path("data_quality") / "index.html"  # under the reports directory (the validation report)
REPORT_KINDS = ("daily", "weekly")


@dataclass
class Portfolio:
    """One portfolio's headline and daily history (trade_date, equity, drawdown)."""
    label: str
    as_of: date | None = None
    equity: float | None = None
    day_pnl: float | None = None
    total_pnl: float | None = None
    day_return: float | None = None
    drawdown: float | None = None
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["trade_date", "equity", "drawdown"]))
    missing: str | None = None  # why there is no figure


@dataclass
class Breaker:
    level: int | None
    action: str | None
    drawdown: float | None
    equity: float | None
    peak: float | None
    at: datetime | None
    source: str | None
    thresholds: tuple[float, float, float]


@dataclass
class Quality:
    run: str | None
    validated_at: datetime | None
    passed: int = 0
    flagged: int = 0
    quarantined: int = 0
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)  # flagged and quarantined partitions
    report: Path | None = None  # the offline HTML report, when it exists


@dataclass
class DeskFigures:
    generated_at: datetime
    currency: str
    paper: Portfolio
    benchmark: Portfolio
    positions: pd.DataFrame
    target_run: str | None  # the rebalance whose targets the positions are compared with
    desk_day: date | None
    orders: pd.DataFrame
    fills: pd.DataFrame
    breaker: Breaker
    quality: Quality
    sweeps: pd.DataFrame
    reports: dict[str, dict[str, Path]]  # kind -> {"pdf": path, "xlsx": path}
    reports_dir: Path


def gather(data_dir: Path, reports_dir: Path, now: datetime, *, currency: str = "USDT",
           ledger_url: str | None = None) -> DeskFigures:
    data_dir, reports_dir = Path(data_dir), Path(reports_dir)
    marts = ledger_marts(data_dir)
    paper = paper_portfolio(marts["fct_pnl"] if marts else None)
    orders, fills, day = day_orders(marts, now)
    positions, target_run = positions_against_targets(marts["fct_pnl"] if marts else None, data_dir)
    return DeskFigures(
        generated_at=now, currency=currency, paper=paper, benchmark=benchmark_portfolio(data_dir),
        positions=positions, target_run=target_run, desk_day=day, orders=orders, fills=fills,
        breaker=breaker(data_dir, ledger_url), quality=quality(data_dir, reports_dir),
        sweeps=sweeps_before(data_dir, now)[0], reports=latest_reports(reports_dir), reports_dir=reports_dir)


def paper_portfolio(pnl: pd.DataFrame | None) -> Portfolio:
    if pnl is None:
        return Portfolio("paper", missing="no paper trade yet: the ledger marts (fct_pnl) are empty")
    total = pnl[pnl.level == "total"].sort_values("trade_date").reset_index(drop=True)
    total = total.dropna(subset=["equity"])
    if total.empty:
        return Portfolio("paper", missing="fct_pnl has no day with an equity yet (no daily close marks it)")
    last = total.iloc[-1]
    return Portfolio("paper", as_of=last.trade_date, equity=float(last.equity), day_pnl=_float(last.pnl),
                     total_pnl=_float(last.total_pnl), day_return=_float(last.daily_return),
                     drawdown=_float(last.drawdown), history=_history(total))


def benchmark_portfolio(data_dir: Path) -> Portfolio:
    daily = portfolio_daily(data_dir)
    if daily.empty:
        return Portfolio("benchmark", missing="no portfolio return yet: run market_data_ingest and warehouse_build")
    last = daily.iloc[-1]
    return Portfolio("benchmark", as_of=last.trade_date, equity=float(last.equity), day_pnl=_float(last.pnl),
                     total_pnl=float(last.equity - daily.equity.iloc[0] + daily.pnl.iloc[0]),
                     day_return=_float(last.daily_return), drawdown=_float(last.drawdown), history=_history(daily))


def _history(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"trade_date": frame.trade_date.to_numpy(), "equity": frame.equity.astype(float).to_numpy(),
                         "drawdown": frame.drawdown.astype(float).to_numpy()})


def positions_against_targets(pnl: pd.DataFrame | None, data_dir: Path) -> tuple[pd.DataFrame, str | None]:
    columns = ["exchange", "symbol", "quantity", "average_cost", "close", "value", "weight", "target", "drift",
               "unrealised_pnl", "as_of_date"]
    if pnl is None or pnl.empty:
        return pd.DataFrame(columns=columns), None
    day = pnl[pnl.trade_date == pnl.trade_date.max()]
    equity = day[day.level == "total"].equity
    rows = day[day.level == "symbol"].sort_values(["exchange", "symbol"])
    equity = float(equity.iloc[0]) if len(equity) and pd.notna(equity.iloc[0]) and equity.iloc[0] else None
    targets, run_id = last_targets(data_dir)
    frame = pd.DataFrame({
        "exchange": rows.exchange, "symbol": rows.symbol, "quantity": rows.quantity.astype(float),
        "average_cost": rows.average_cost.astype(float), "close": rows.close.astype(float),
        "value": rows.market_value.astype(float),
        "weight": rows.market_value.astype(float) / equity if equity else float("nan"),
        "unrealised_pnl": rows.unrealised_pnl.astype(float), "as_of_date": rows.trade_date}).reset_index(drop=True)
    frame["target"] = [targets.get(s, float("nan")) if targets else float("nan") for s in frame.symbol]
    frame["drift"] = frame.weight - frame.target
    return frame[columns], run_id


def last_targets(data_dir: Path) -> tuple[dict[str, float], str | None]:
    """symbol -> the weight the last rebalance that was not a dry run aimed at; {} and None without one."""
    runs = read_export(data_dir, "fct_desk_runs")
    if runs is None or runs.empty:
        return {}, None
    done = runs[(runs.kind == "rebalance") & ~runs.dry_run.astype(bool)].sort_values("ts")
    if done.empty:
        return {}, None
    last = done.iloc[-1]
    targets = {s: float(w) for s, w in json.loads(last.weights_before or "{}").items()}
    for row in json.loads(last.preview or "[]"):
        targets[row["symbol"]] = float(row["weight_after"])
    return targets, str(last.run_id)


def day_orders(marts: dict[str, pd.DataFrame] | None, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame, date | None]:
    """The desk day's orders and fills: today's when there are, else the last day with orders."""
    if marts is None:
        return pd.DataFrame(), pd.DataFrame(), None
    orders, fills = marts["fct_orders"], marts["fct_fills"]
    today = now.astimezone(timezone.utc).date()
    day = today if (orders.trade_date == today).any() else orders.trade_date.max()
    o = orders[orders.trade_date == day].sort_values("created_at")
    f = fills[fills.trade_date == day].sort_values(["ts", "trade_id"])
    o = pd.DataFrame({"time": o.created_at, "exchange": o.exchange, "symbol": o.symbol, "side": o.side,
                      "amount": o.amount.astype(float), "status": o.status, "filled": o.filled_amount.astype(float),
                      "average_price": o.average_price.astype(float), "arrival_price": o.arrival_price.astype(float),
                      "slippage_bps": o.slippage_bps.astype(float), "fees": o.fees.astype(float),
                      "order_id": o.client_order_id}).reset_index(drop=True)
    f = pd.DataFrame({"time": f.ts, "exchange": f.exchange, "symbol": f.symbol, "side": f.side,
                      "amount": f.amount.astype(float), "price": f.price.astype(float),
                      "arrival_price": f.arrival_price.astype(float), "slippage_bps": f.slippage_bps.astype(float),
                      "slippage": f.slippage_quote.astype(float), "fee": f.fee_quote.astype(float),
                      "trade_id": f.trade_id}).reset_index(drop=True)
    return o, f, day


def breaker(data_dir: Path, ledger_url: str | None) -> Breaker:
    """The paper desk's breaker as its ledger recorded it last; level None before the first mark.
    A missing SQLite ledger is not created (the page only reads)."""
    paths = DataPaths(Path(data_dir))
    limits = thresholds()
    if ledger_url is None and not paths.ledger.is_file():
        return Breaker(None, None, None, None, None, None, None, limits)
    ledger = open_ledger(ledger_url, paths)
    try:
        marks = ledger.marks()
    finally:
        ledger.close()
    if not marks:
        return Breaker(None, None, None, None, None, None, None, limits)
    m = marks[-1]
    return Breaker(int(m["level"]), ACTIONS[int(m["level"])], float(m["drawdown"]), float(m["equity"]),
                   float(m["peak"]), datetime.fromtimestamp(m["ts_ms"] / 1000, timezone.utc), m["source"], limits)


def quality(data_dir: Path, reports_dir: Path) -> Quality:
    """The latest validation run's verdicts: passed (no flag), flagged (passed with a warning), quarantined."""
    report = reports_dir / DATA_QUALITY_REPORT
    report = report if report.is_file() else None
    folder = DataPaths(Path(data_dir)).validation_results
    files = sorted(folder.glob("run=*.parquet")) if folder.is_dir() else []
    if not files:
        return Quality(None, None, report=report)
    latest = max(files, key=lambda p: p.stat().st_mtime)
    frame = ds.dataset(latest, format="parquet").to_table().to_pandas()
    flagged = frame.passed & (frame.flagged.fillna("") != "")
    status = ["quarantined" if not ok else "flagged" if flag else "passed" for ok, flag in zip(frame.passed, flagged)]
    frame = frame.assign(status=status, detail=["; ".join(describe_list(fail if not ok else flag, failed=not ok)) for ok, fail, flag
                                                in zip(frame.passed, frame.failed, frame.flagged)])
    order = {"quarantined": 0, "flagged": 1}  # the worse first
    problems = frame[frame.status != "passed"].assign(order=lambda f: f.status.map(order)).sort_values(
        ["order", "exchange", "symbol", "timeframe", "date"])
    return Quality(run=str(frame.run.iloc[0]), validated_at=pd.Timestamp(frame.validated_at.max()).to_pydatetime(),
                   passed=int((frame.status == "passed").sum()), flagged=int(flagged.sum()),
                   quarantined=int((~frame.passed).sum()),
                   problems=problems[["status", "exchange", "symbol", "timeframe", "date", "detail"]]
                   .reset_index(drop=True), report=report)


def latest_reports(reports_dir: Path) -> dict[str, dict[str, Path]]:
    """kind -> {"pdf": newest PDF, "xlsx": newest workbook} (files named peak_trade_<kind>_<period>.<ext>)."""
    found: dict[str, dict[str, Path]] = {}
    if not reports_dir.is_dir():
        return found
    for kind in REPORT_KINDS:
        for ext in ("pdf", "xlsx"):
            files = sorted(reports_dir.rglob(f"peak_trade_{kind}_*.{ext}"), key=lambda p: (p.stat().st_mtime, p.name))
            if files:
                found.setdefault(kind, {})[ext] = files[-1]
    return found


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def gather_configured(config, now: datetime) -> DeskFigures:
    """gather() for the configured data and reports directories, currency and ledger."""
    from include.config.loader import data_dir, reports_dir
    from include.execution.settings import execution_settings

    settings = execution_settings(config)
    return gather(data_dir(config), reports_dir(config), now, currency=settings.quote, ledger_url=settings.ledger_url)
