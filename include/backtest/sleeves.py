"""run_portfolio: one strategy on many series, each series a sleeve of the capital.

Series k gets weights[k] x initial capital and runs through run_backtest on its own
bars (its own fills, costs, sizing, exits and breaker). The portfolio's equity at a
time is the sum of the sleeves' equity, each carried forward between its own bars
and counted at its starting capital before its first bar; weights summing below 1
leave the rest in cash. This is vectorbt's grouping without cash sharing: sleeves
are not rebalanced toward their weights, and each sleeve's breaker watches its own
drawdown (a breaker on the whole account needs shared cash, not modelled here).
Metrics are the same definitions as a single backtest, on the portfolio's per-bar
returns over the union of the series' timestamps. (Sleeves of one backtest, not
portfolio construction: the optimisers live in include.portfolio.)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from include.backtest.bars import Bars
from include.backtest.config import BacktestConfigError
from include.backtest.engine import run_backtest
from include.backtest.result import BacktestResult, bar_returns, performance
from include.timeframes import periods_per_year

SUMMED = ("n_trades", "total_fees", "total_slippage")


@dataclass
class PortfolioResult:
    """equity: the portfolio after each close on the union of timestamps; positions: each series'
    signed exposure as a fraction of portfolio equity (one column per series); trades and events:
    every sleeve's, with a `series` column; sleeves: each series' own BacktestResult."""

    weights: dict[str, float]
    initial_capital: float
    equity: pd.Series
    positions: pd.DataFrame
    trades: pd.DataFrame
    events: pd.DataFrame
    metrics: dict[str, Any]
    sleeves: dict[str, BacktestResult]


def run_portfolio(
    frames: Mapping[str, pd.DataFrame | Bars],
    strategy,
    params: Mapping[str, Any] | None = None,
    costs=None,
    *,
    weights: Mapping[str, float] | None = None,
    initial_capital: float = 10_000.0,
    **settings,
) -> PortfolioResult:
    """Backtest `strategy` on every series of `frames` ({label: frame or Bars}), one sleeve each.

    weights: {label: fraction of capital}, each > 0, summing to at most 1 (default: equal).
    settings: run_backtest's keywords (sizing, exits, breaker, timeframe, check_lookahead).
    """
    weights = checked_weights(frames, weights)
    sleeves = {
        label: run_backtest(frame, strategy, params, costs, initial_capital=initial_capital * weights[label], **settings)
        for label, frame in frames.items()
    }
    timeframes = {r.timeframe for r in sleeves.values()}
    if len(timeframes) > 1:
        found = ", ".join(f"{label} {r.timeframe}" for label, r in sleeves.items())
        raise BacktestConfigError(f"run_portfolio: every series must share one timeframe; got {found}")
    return _combine(sleeves, weights, float(initial_capital), timeframes.pop())


def checked_weights(frames: Mapping[str, Any], weights: Mapping[str, float] | None) -> dict[str, float]:
    """Equal weights by default; otherwise one positive weight per series, summing to at most 1."""
    labels = list(frames)
    if not labels:
        raise BacktestConfigError("run_portfolio: frames is empty; give {label: frame} for one or more series")
    if weights is None:
        return {label: 1.0 / len(labels) for label in labels}
    unknown = [label for label in weights if label not in frames]
    missing = [label for label in labels if label not in weights]
    if unknown or missing:
        raise BacktestConfigError(
            f"run_portfolio: weights must name exactly the series {labels}; "
            f"unknown: {unknown or 'none'}, missing: {missing or 'none'}")
    bad = {label: w for label, w in weights.items() if not (isinstance(w, (int, float)) and w > 0)}
    if bad:
        raise BacktestConfigError(f"run_portfolio: weights {bad} are invalid; valid: a number > 0 per series")
    total = math.fsum(weights.values())
    if total > 1 + 1e-12:
        raise BacktestConfigError(f"run_portfolio: weights sum to {total:g}; valid: at most 1 (the rest stays cash)")
    return {label: float(weights[label]) for label in labels}


def _combine(sleeves: dict[str, BacktestResult], weights: dict[str, float], capital: float,
             timeframe: str) -> PortfolioResult:
    ts = pd.DatetimeIndex(sorted(set().union(*(r.equity.index for r in sleeves.values()))), name="ts")
    sleeve_equity = pd.DataFrame({
        label: r.equity.reindex(ts).ffill().fillna(r.initial_capital) for label, r in sleeves.items()
    })
    cash = capital * (1.0 - math.fsum(weights.values()))
    equity = sleeve_equity.sum(axis=1) + cash
    held = pd.DataFrame({label: (r.positions * r.equity).reindex(ts).ffill().fillna(0.0)
                         for label, r in sleeves.items()})
    returns = bar_returns(equity.to_numpy(), capital)
    metrics = {"final_equity": float(equity.iloc[-1])} | performance(returns, periods_per_year(timeframe))
    metrics |= {name: sum(r.metrics[name] for r in sleeves.values()) for name in SUMMED}
    return PortfolioResult(
        weights=weights,
        initial_capital=capital,
        equity=equity.rename("equity"),
        positions=held.div(equity, axis=0),
        trades=_stacked(sleeves, "trades", "entry_ts"),
        events=_stacked(sleeves, "events", "ts"),
        metrics=metrics,
        sleeves=sleeves,
    )


def _stacked(sleeves: dict[str, BacktestResult], attribute: str, order_by: str) -> pd.DataFrame:
    parts = [getattr(r, attribute).assign(series=label) for label, r in sleeves.items()]
    stacked = pd.concat(parts, ignore_index=True)
    return stacked.sort_values([order_by, "series"], kind="stable").reset_index(drop=True)

