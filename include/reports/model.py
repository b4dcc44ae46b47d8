"""What a report holds: the period it covers and every figure and table, gathered once.

`gather.py` fills a ReportData from the warehouse's Parquet exports, the validation
results and the sweep results; `pdf.py` and `excel.py` only lay it out, so the two
files always show the same numbers. A section whose data does not exist carries an
empty frame (or None) and a line in `missing` saying why; renderers print that line
instead of dropping the section.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd

ReportKind = Literal["daily", "weekly"]
BREAKER_STATES = ("normal", "warn", "halve", "halt")  # levels 0..3 of the drawdown circuit breaker
# Which portfolio a Headline describes -> how the report names it.
PORTFOLIO_LABELS = {"paper": "Paper portfolio", "universe": "Equal-weight universe portfolio"}
BENCHMARK_LABEL = "Benchmark (equal-weight universe)"  # the universe beside a paper headline


@dataclass(frozen=True)
class ReportPeriod:
    """Whole UTC days [start, end]: one day (daily) or an ISO week, Monday to Sunday (weekly)."""

    kind: ReportKind
    start: date
    end: date

    @classmethod
    def covering(cls, kind: ReportKind, day: date) -> ReportPeriod:
        """The period of `kind` that contains `day`."""
        if kind == "daily":
            return cls(kind, day, day)
        monday = day - timedelta(days=day.weekday())
        return cls(kind, monday, monday + timedelta(days=6))

    @classmethod
    def last_complete(cls, kind: ReportKind, now: datetime) -> ReportPeriod:
        """The latest period that ended before `now` (a scheduled run reports the day or week just gone)."""
        return cls.covering(kind, now.date() - timedelta(days=1))

    @property
    def label(self) -> str:
        """2024-06-01 (daily) or 2024-W22 (weekly, ISO year and week)."""
        if self.kind == "daily":
            return self.start.isoformat()
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def title(self) -> str:
        if self.kind == "daily":
            return f"Daily report {self.label}"
        return f"Weekly report {self.label} ({self.start.isoformat()} to {self.end.isoformat()})"

    @property
    def stem(self) -> str:
        """The stable file name without extension: a re-run of the period replaces its files."""
        return f"peak_trade_{self.kind}_{self.label}"

    def folder(self, reports_root: Path) -> Path:
        """reports/YYYY/MM/ of the period's first day."""
        return Path(reports_root) / f"{self.start:%Y}" / f"{self.start:%m}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Headline:
    """The first page. Money in the quote currency, fractions as fractions (0.0123 = 1.23 %).

    equity, drawdown and breaker state are as of `as_of` (the period's last day with a
    portfolio return); pnl and period_return over the period's days; the risk metrics
    over the rolling `metrics_window_days` as of `as_of` (the warehouse's row for the
    equal-weight universe, include.metrics.risk on the ledger's daily returns for the
    paper portfolio). VaR and CVaR are positive losses (docs/definitions.md). None: not
    computable from the data. portfolio: "universe" or "paper" (PORTFOLIO_LABELS).
    """

    as_of: date | None
    equity: float | None
    pnl: float | None
    period_return: float | None
    annual_return: float | None
    annual_volatility: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    max_drawdown: float | None          # negative fraction, over the metrics window
    var_95: float | None
    cvar_95: float | None
    var_99: float | None
    cvar_99: float | None
    drawdown: float | None              # current, from the running peak of equity (<= 0)
    breaker_level: int | None           # 0..3; index into BREAKER_STATES
    metrics_window_days: int = 90
    portfolio: str = "universe"
    peak_date: date | None = None       # the last day equity stood at its running peak (the drawdown's start)

    @property
    def breaker_state(self) -> str:
        return "unknown" if self.breaker_level is None else BREAKER_STATES[self.breaker_level]

    @property
    def label(self) -> str:
        return PORTFOLIO_LABELS[self.portfolio]


@dataclass
class ReportData:
    """Everything a report shows. Frames have exactly the columns listed; any may be empty.

    equity:        trade_date (date), daily_return, equity, pnl, drawdown, breaker_level
                   - the portfolio's history up to the period's end (charts: equity, underwater)
    returns:       trade_date, daily_return - the lookback the histogram uses (with headline VaR lines)
    rolling:       as_of_date, annual_volatility - 30-day rolling volatility of the portfolio
    regimes:       trade_date, volatility_regime ('low' | 'normal' | 'high') - shading of the rolling chart,
                   from the rolling volatility's percentile among the days up to then
    correlation:   square frame, index and columns the series labels ("exchange symbol"), as of the period end
    allocation:    series (label), weight (fraction) - the portfolio's weights
    performers:    series, exchange, symbol, period_return, close - every series over the period, best first
    stress:        scenario, scenario_type, window_start, window_end, portfolio_return
    quality:       exchange, symbol, timeframe, date, status ('passed' | 'flagged' | 'quarantined' | 'gap'), detail
    sweeps_best:   sweep, strategy, timeframe, exchange, symbol, objective, objective_value, params (JSON text),
                   sharpe_ratio, total_return, max_drawdown, dsr (deflated Sharpe ratio), pbo (probability
                   of backtest overfitting), verdict ('likely luck' | 'survives deflation' | 'undetermined';
                   NaN for runs published without odds), loaded_at
    sweeps_walk_forward: per walk-forward sweep (latest run) sweep, strategy, timeframe, scheme, folds, then the
                   mean over folds of oos_sharpe_ratio, oos_total_return, oos_max_drawdown (out of sample FIRST),
                   is_sharpe_ratio, is_total_return, is_max_drawdown, degradation_sharpe_ratio; loaded_at
    positions:     exchange, symbol, quantity, average_cost, close, value, weight, unrealised_pnl, realised_pnl,
                   fees, total_pnl - the paper desk's positions at the period's last ledger day (fct_pnl)
    trades:        order_id, ts (first fill), exchange, symbol, side, quantity, price (volume-weighted), fees,
                   slippage_bps, slippage, n_fills - the period's fills grouped by order
    orders:        ts (created), exchange, symbol, side, type, quantity, limit_price, arrival_price, status,
                   filled, average_price, fees, slippage_bps, reason, order_id - orders created in the period
    fills:         ts, exchange, symbol, side, quantity, price, fees, arrival_price, slippage_bps, slippage,
                   order_id, trade_id - fills in the period (slippage: + = a cost, docs/definitions.md)
    paper:         trade_date, equity, cash, pnl, total_pnl, realised_pnl, unrealised_pnl, fees, daily_return,
                   drawdown - the paper portfolio day by day up to the period's end (fct_pnl's total rows)
    positions, trades, orders, fills, paper: None while the ledger has no order (the report says so)
    benchmark:     the equal-weight universe's Headline when `headline` is the paper portfolio's (its history
                   covers the period), else None and `headline` is the universe's
    assets:        asset, venues, period_return (mean over its venues), lowest, highest, series - performers
                   grouped by coin (assets.py); a coin on one venue keeps its series label
    asset_correlation: asset x asset mean correlation of their venues (empty when no coin repeats)
    venues:        asset, venues, basis_bps, cheapest, dearest, min_correlation - coins on several venues
    sweep_rule:    which sweep runs the report shows, in words (gather.sweep_cutoff)
    stress:        also amount (portfolio_return x the headline's equity, in the report currency) and note
                   (why a figure is n/a)
    """

    period: ReportPeriod
    generated_at: datetime
    currency: str
    headline: Headline
    attention: list[str]
    equity: pd.DataFrame
    returns: pd.DataFrame
    rolling: pd.DataFrame
    regimes: pd.DataFrame
    correlation: pd.DataFrame
    allocation: pd.DataFrame
    performers: pd.DataFrame
    stress: pd.DataFrame
    quality: pd.DataFrame
    sweeps_best: pd.DataFrame
    sweep_heatmaps: list[Path] = field(default_factory=list)
    sweeps_walk_forward: pd.DataFrame = field(default_factory=pd.DataFrame)
    positions: pd.DataFrame | None = None
    trades: pd.DataFrame | None = None
    orders: pd.DataFrame | None = None
    fills: pd.DataFrame | None = None
    paper: pd.DataFrame | None = None
    benchmark: Headline | None = None
    missing: dict[str, str] = field(default_factory=dict)  # section -> why it has no data
    assets: pd.DataFrame = field(default_factory=pd.DataFrame)
    asset_correlation: pd.DataFrame = field(default_factory=pd.DataFrame)
    venues: pd.DataFrame = field(default_factory=pd.DataFrame)
    sweep_rule: str = ""

    def quality_counts(self) -> dict[str, int]:
        """Partitions of the period by status (every status present, zero when none)."""
        counts = self.quality["status"].value_counts() if len(self.quality) else pd.Series(dtype=int)
        return {status: int(counts.get(status, 0)) for status in ("passed", "flagged", "quarantined", "gap")}


@dataclass(frozen=True)
class ReportSummary:
    """What the email and the breaker alert say: a ReportData's headline part, small enough for XCom
    (to_json/from_json), so the tasks after build_report send the figures the files show."""

    period: ReportPeriod
    generated_at: datetime
    currency: str
    headline: Headline
    attention: list[str]
    missing: dict[str, str]
    benchmark: Headline | None = None

    @classmethod
    def of(cls, data: ReportData) -> ReportSummary:
        return cls(data.period, data.generated_at, data.currency, data.headline, list(data.attention),
                   {k: v for k, v in data.missing.items() if k == "headline"}, data.benchmark)

    def to_json(self) -> dict:
        return {"period": {"kind": self.period.kind, "start": self.period.start.isoformat(),
                           "end": self.period.end.isoformat()},
                "generated_at": self.generated_at.isoformat(), "currency": self.currency,
                "headline": _headline_json(self.headline), "attention": self.attention, "missing": self.missing,
                "benchmark": self.benchmark and _headline_json(self.benchmark)}

    @classmethod
    def from_json(cls, raw: dict) -> ReportSummary:
        period = raw["period"]
        benchmark = raw.get("benchmark")
        return cls(ReportPeriod(period["kind"], date.fromisoformat(period["start"]), date.fromisoformat(period["end"])),
                   datetime.fromisoformat(raw["generated_at"]), raw["currency"], _headline_of(raw["headline"]),
                   list(raw["attention"]), dict(raw["missing"]), benchmark and _headline_of(benchmark))


def _headline_json(headline: Headline) -> dict:
    return asdict(headline) | {"as_of": headline.as_of and headline.as_of.isoformat(),
                               "peak_date": headline.peak_date and headline.peak_date.isoformat()}


def _headline_of(raw: dict) -> Headline:
    days = {k: raw.get(k) and date.fromisoformat(raw[k]) for k in ("as_of", "peak_date")}
    return Headline(**raw | days)


def whose_money(data: ReportData) -> str:
    """Page 1's answer to "whose money is this?"."""
    if data.benchmark is not None:
        return (f"Whose money: the desk's {data.headline.label.lower()} (its ledger: positions, orders, fills). "
                f"Beside it, marked as such, the {BENCHMARK_LABEL.lower()}: 1/N of every series, no money "
                f"of the desk's.")
    why = data.missing.get("positions") or "its ledger does not cover the period yet"
    return ("Whose money: not the desk's. The headline figures are the BENCHMARK, the equal-weight universe "
            "portfolio (1/N of every series of the universe, from a notional starting capital). The desk's "
            f"own paper or live portfolio takes the headline once its ledger covers the period. Now: {why}.")


SECTIONS = ("headline", "equity", "returns", "rolling", "correlation", "allocation", "performers", "stress",
            "quality", "walk_forward", "sweeps", "positions", "trades", "orders", "fills")
NOT_YET = "no paper trades yet: the ledger has no {what} (trigger rebalance with dry_run off)"
