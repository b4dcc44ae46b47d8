"""Gather a report's figures from the warehouse's Parquet exports and the validation results.

Reads only files (exports/*.parquet written atomically by warehouse_build and
nightly_sweep, data/validation/results, data/gaps), never the DuckDB file, so a report
can run while the warehouse builds. Figures are the warehouse's as stored: the
headline's equity and PnL come from fct_portfolio_daily and its risk metrics from
the fct_portfolio_risk_rolling row as of the period's last day with a return, so
a report for a past period (a backfill) shows what was known then. Once the paper
portfolio's history (fct_pnl) covers the period, the headline is the paper
portfolio's (headlines.py) and the equal-weight universe's stays as its benchmark.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pandas as pd

from include.config.schema import Validation
from include.reports import assets, execution_tables, export_readers, headlines
from include.reports.formatting import pct, timestamp
from include.reports.model import NOT_YET, ReportData, ReportPeriod
from include.validation.plain_words import describe_list

EXECUTION_TABLES = ("positions", "trades", "orders", "fills")
MIN_REGIME_DAYS = 10


def sweep_cutoff(period: ReportPeriod, now: datetime) -> datetime:
    """The last moment a sweep run may have been loaded to be shown: when the report was generated,
    but no later than the end of the period that follows the report's (the day after a daily report's
    day, the week after a weekly report's week). A report made on time - any time in the next period,
    late catch-ups included - shows the sweeps that ran before it, those of the same day too; a report of
    a past period (a backfill) shows what such a report could have known, not later runs."""
    following_end = period.end + (period.end - period.start) + timedelta(days=2)  # midnight after the next period
    return min(now, datetime.combine(following_end, time(0), tzinfo=now.tzinfo))


def sweep_rule(period: ReportPeriod, cutoff: datetime) -> str:
    nxt = "the day after the report's day" if period.kind == "daily" else "the week after the report's week"
    return (f"each sweep's latest run loaded by {timestamp(cutoff)}: before this report was generated and no "
            f"later than the end of {nxt}, so a report of a past period shows what was known then.")


def gather(data_dir: Path, period: ReportPeriod, now: datetime, *, currency: str = "USDT",
           metrics_window_days: int = 90, histogram_days: int = 90, rules: Validation | None = None) -> ReportData:
    """Every figure of the report for `period`; sections without data carry a reason in `missing`.
    `rules`: the validation settings (config.validation) whose limits the data-quality lines quote."""
    missing: dict[str, str] = {name: NOT_YET.format(what=name) for name in EXECUTION_TABLES}
    daily = export_readers.portfolio_daily(data_dir)
    history = daily[daily.trade_date <= period.end].reset_index(drop=True)
    risk = export_readers.portfolio_rolling(data_dir)
    headline = headlines.universe(history, risk, period, metrics_window_days)
    if history.empty:
        reason = (f"no portfolio return on or before {period.end}: run market_data_ingest and warehouse_build"
                  if daily.empty else f"the warehouse's first portfolio return is on {daily.trade_date.min()}, "
                  f"after this period ({period.start} to {period.end})")
        missing.update({name: reason for name in ("headline", "equity", "returns", "rolling", "allocation")})
    features = export_readers.daily_closes(data_dir)
    performers = _performers(features, period)
    if performers.empty:
        missing["performers"] = f"no series has a close between {period.start} and {period.end}"
    correlation = export_readers.correlation_matrix(data_dir, period.end)
    if correlation.empty:
        missing["correlation"] = f"no 30-day rolling correlation ends on or before {period.end}"
    stress = _known_by(export_readers.portfolio_stress(data_dir), period.end)
    if stress.empty:
        missing["stress"] = "fct_stress has no portfolio scenarios yet (it needs daily returns)"
    quality = export_readers.data_quality(data_dir, period)
    if quality.empty:
        missing["quality"] = f"no partition dated {period.start} to {period.end} was validated"
    else:
        quality["detail"] = ["; ".join(describe_list(d, rules, failed=status == "quarantined"))
                             for d, status in zip(quality.detail, quality.status)]
    cutoff = sweep_cutoff(period, now)
    sweeps_best, heatmaps = export_readers.sweeps_before(data_dir, cutoff)
    if sweeps_best.empty:
        missing["sweeps"] = f"no sweep run was loaded by {timestamp(cutoff)}"
    walk_forward = export_readers.walk_forward_before(data_dir, cutoff)
    if walk_forward.empty:
        missing["walk_forward"] = f"no walk-forward sweep run was loaded by {timestamp(cutoff)}"
    returns = history.tail(histogram_days)[["trade_date", "daily_return"]].reset_index(drop=True)
    rolling = export_readers.rolling_volatility(risk, period.end)
    data = ReportData(
        period=period, generated_at=now, currency=currency, headline=headline,
        attention=[], equity=history[["trade_date", "daily_return", "equity", "pnl", "drawdown", "breaker_level"]],
        returns=returns, rolling=rolling, regimes=_regimes(rolling),
        correlation=correlation, allocation=_allocation(performers), performers=performers, stress=stress,
        quality=quality, sweeps_best=sweeps_best, sweep_heatmaps=heatmaps, missing=missing,
        sweeps_walk_forward=walk_forward, sweep_rule=sweep_rule(period, cutoff),
    )
    if assets.repeats(performers):  # a coin on several venues: read it as one asset, venue detail beside
        data.assets = assets.by_asset(performers)
        data.allocation = assets.allocation(data.allocation, performers)
        data.asset_correlation = assets.correlation(correlation, performers)
        data.venues = assets.venues(performers, correlation)
    _execution(data, export_readers.ledger_marts(data_dir))
    if headlines.covers(data.paper, period):  # the headline follows the desk; the universe is its benchmark
        data.benchmark, data.headline = data.headline, headlines.paper(data.paper, period, metrics_window_days)
        if "headline" in data.missing:  # the universe has no figure yet: only its benchmark column is empty
            data.missing["benchmark"] = data.missing.pop("headline")
    data.stress = with_amounts(stress, data.headline.equity, currency, history)  # on the headline's money
    data.attention = attention(data) + _absent_series(features, performers, period)
    return data


def _execution(data: ReportData, ledger: dict[str, pd.DataFrame] | None) -> None:
    """The paper desk's sections from the ledger marts; each says why when it has no rows."""
    if ledger is None:
        return  # missing already says: no paper trades yet
    period = data.period
    for name in EXECUTION_TABLES:
        data.missing.pop(name, None)
    data.paper = execution_tables.paper(ledger["fct_pnl"], period)
    data.positions = execution_tables.positions(ledger["fct_pnl"], period)
    data.orders = execution_tables.orders(ledger["fct_orders"], period)
    data.fills = execution_tables.fills(ledger["fct_fills"], period)
    data.trades = execution_tables.trades(data.fills)
    if data.positions.empty:
        first = ledger["fct_pnl"].trade_date.min()
        data.missing["positions"] = ("no order of the paper desk has filled yet" if pd.isna(first) else
                                     f"the paper desk's first ledger day is {first}, after this period")
    for name in ("trades", "orders", "fills"):
        if getattr(data, name).empty:
            data.missing[name] = f"no paper {name} between {period.start} and {period.end}"


def drawdown_text(head) -> str:
    """'drawdown -23.70 % from the peak of 2026-10-12': the date is the peak's, said so."""
    peak = f"the peak of {head.peak_date}" if head.peak_date else "the starting capital"
    return f"drawdown {pct(head.drawdown)} from {peak}"


def with_amounts(stress: pd.DataFrame, equity: float | None, currency: str, history: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's return as an amount in the report currency on today's equity, and a note for
    every figure that is n/a (the scenario has no return, or there is no equity to apply it to)."""
    first = history.trade_date.min() if len(history) else None
    amounts, notes = [], []
    for row in stress.itertuples():
        has_return = pd.notna(row.portfolio_return)
        amounts.append(float(row.portfolio_return) * equity if has_return and equity is not None else None)
        if not has_return and row.scenario_type == "hypothetical_correlation":
            notes.append("moves volatility, not prices: no return of its own (the stressed volatility is "
                         "in the scenario's name)")
        elif not has_return and first is not None and row.window_end is not None and row.window_end < first:
            notes.append(f"its window ended before the portfolio's first return ({first})")
        elif not has_return:
            notes.append("the portfolio has no daily return in its window")
        elif equity is None:
            notes.append(f"no equity on or before the period's end to apply it to ({currency})")
        else:
            notes.append("")
    return stress.assign(amount=amounts, note=notes)


def _absent_series(closes: pd.DataFrame, performers: pd.DataFrame, period: ReportPeriod) -> list[str]:
    """Series the warehouse knows that have no close in the period (a halted market, a dead feed)."""
    known = sorted(set(closes.exchange + " " + closes.symbol)) if len(closes) else []
    absent = [label for label in known if label not in set(performers.series)]
    if not absent or performers.empty:
        return []
    return [f"no data between {period.start} and {period.end} for {', '.join(absent)}"]


def _performers(closes: pd.DataFrame, period: ReportPeriod) -> pd.DataFrame:
    """Each series' return over the period: last close in it over the last close before it."""
    columns = ["series", "exchange", "symbol", "period_return", "close"]
    inside = closes[(closes.trade_date >= period.start) & (closes.trade_date <= period.end)]
    if inside.empty:
        return pd.DataFrame(columns=columns)
    end = inside.groupby(["exchange", "symbol"]).close.last()
    before = closes[closes.trade_date < period.start].groupby(["exchange", "symbol"]).close.last()
    first_inside = inside.groupby(["exchange", "symbol"]).close.first()
    base = before.reindex(end.index).fillna(first_inside)  # a series that starts in the period: from its first close
    frame = pd.DataFrame({"close": end, "period_return": end / base - 1}).reset_index()
    frame["series"] = frame.exchange + " " + frame.symbol
    return frame[columns].sort_values(["period_return", "series"], ascending=[False, True]).reset_index(drop=True)


def _known_by(stress: pd.DataFrame, end) -> pd.DataFrame:
    """Historical scenarios whose window ended by the period's end (a backfill must not show later
    windows); fct_stress finds the worst windows over the whole history, so a past report may list
    fewer. Hypothetical scenarios always stay."""
    historical = stress.scenario_type.str.startswith("historical")
    later = historical & stress.window_end.map(lambda d: d is not None and d > end)
    return stress[~later].reset_index(drop=True)


def _allocation(performers: pd.DataFrame) -> pd.DataFrame:
    """The equal-weight universe portfolio's weights over the series with a close in the period."""
    labels = sorted(performers.series)
    return pd.DataFrame({"series": labels, "weight": [1.0 / len(labels) for _ in labels]})


def _regimes(rolling: pd.DataFrame) -> pd.DataFrame:
    """Each day's volatility regime, fct_features' rule applied to the portfolio's own 30-day volatility:
    its percentile among the days up to then (causal, so a backfill shows what was known) below 0.33
    is low, above 0.67 high. The series' own labels (1m or 1h bars) are too fast for a daily chart."""
    if rolling.empty:
        return pd.DataFrame(columns=["trade_date", "volatility_regime"])
    # share of the days up to d whose volatility is at most d's ("max" rank / count)
    pctile = rolling.annual_volatility.reset_index(drop=True).expanding().rank(method="max", pct=True)
    regime = ["low" if p < 0.33 else "high" if p > 0.67 else "normal" for p in pctile]
    frame = pd.DataFrame({"trade_date": rolling.as_of_date.to_numpy(), "volatility_regime": regime})
    return frame.iloc[MIN_REGIME_DAYS - 1:].reset_index(drop=True)  # fewer days than that: no regime yet


def attention(data: ReportData) -> list[str]:
    """What a trader must look at: breaker levels, stale data, failed and flagged validations, gaps."""
    items = []
    head = data.headline
    if head.breaker_level:
        items.append(f"circuit breaker at level {head.breaker_level} ({head.breaker_state}) on {head.as_of}: "
                     f"{drawdown_text(head)}")
    if head.as_of is not None and head.as_of < data.period.end:
        items.append(f"stale data: the last portfolio return is on {head.as_of}, before the period's end "
                     f"{data.period.end}; is warehouse_build running?")
    quality = data.quality
    for status, verb in (("quarantined", "failed validation (quarantined)"), ("flagged", "flagged by validation")):
        rows = quality[quality.status == status]
        for row in rows.head(10).itertuples():
            items.append(f"{row.exchange} {row.symbol} {row.timeframe} {row.date}: {verb}: {row.detail}")
        if len(rows) > 10:
            items.append(f"... and {len(rows) - 10} more partitions {verb}")
    gaps = quality[quality.status == "gap"]
    if len(gaps):
        items.append(f"{len(gaps)} partitions with gaps in the period (see Data quality)")
    return items
