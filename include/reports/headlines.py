"""The report's headline figures of one portfolio: the equal-weight universe's (fct_portfolio_daily and
its fct_portfolio_risk_rolling row) and the paper portfolio's (fct_pnl's level='total' rows).

Both use the same definitions: equity, drawdown and breaker level as of the last day with a
figure on or before the period's end; PnL summed over the period's days; the period return
as the equity over the equity before the period; the risk metrics over the returns dated in
(as_of - window days, as_of]. The warehouse computes the universe's metrics in SQL; the
paper portfolio's are include.metrics.risk on its daily returns (the tests hold the two
definitions equal), and its breaker level is the circuit breaker's rule applied to its drawdown.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd

from include.execution.breaker import level_for, thresholds
from include.metrics import risk
from include.reports.model import Headline, ReportPeriod
from include.timeframes import periods_per_year

HEADLINE_METRICS = {  # Headline field -> fct_portfolio_risk_rolling / risk.risk_metrics column (historical VaR/CVaR)
    "annual_return": "annual_return", "annual_volatility": "annual_volatility", "sharpe_ratio": "sharpe_ratio",
    "sortino_ratio": "sortino_ratio", "calmar_ratio": "calmar_ratio", "max_drawdown": "max_drawdown",
    "var_95": "var_hist_95", "cvar_95": "cvar_hist_95", "var_99": "var_hist_99", "cvar_99": "cvar_hist_99",
}


def universe(history: pd.DataFrame, rolling: pd.DataFrame, period: ReportPeriod, window: int) -> Headline:
    """The equal-weight universe: `history` is fct_portfolio_daily up to the period's end."""
    if history.empty:
        return Headline(**dict.fromkeys(Headline.__dataclass_fields__, None) | {"metrics_window_days": window,
                                                                                  "portfolio": "universe"})
    last = history.iloc[-1]
    row = rolling[(rolling.as_of_date == last.trade_date) & (rolling.window_days == window)]
    metrics = {field: _value(row[column].iloc[0]) if len(row) else None for field, column in HEADLINE_METRICS.items()}
    return _headline(history, period, window, metrics, breaker_level=int(last.breaker_level), portfolio="universe")


def covers(paper: pd.DataFrame | None, period: ReportPeriod) -> bool:
    """Whether the paper portfolio's history (fct_pnl totals up to the period's end) covers the period:
    it starts on or before the period's first day, has a day in the period and an equity on its last."""
    if paper is None or paper.empty:
        return False
    return bool(paper.trade_date.min() <= period.start <= paper.trade_date.max()
                and pd.notna(paper.equity.iloc[-1]))


def paper(history: pd.DataFrame, period: ReportPeriod, window: int) -> Headline:
    """The paper portfolio: `history` is execution_tables.paper's frame, which `covers` the period."""
    last = history.iloc[-1]
    inside = (history.trade_date > last.trade_date - timedelta(days=window)) & (history.trade_date <= last.trade_date)
    returns = pd.Series(history.daily_return[inside].to_numpy(float), index=history.trade_date[inside])
    computed = risk.risk_metrics(returns, periods_per_year("1d"))
    metrics = {field: _value(computed[column]) for field, column in HEADLINE_METRICS.items()}
    level = None if pd.isna(last.drawdown) else level_for(-float(last.drawdown), *thresholds())
    return _headline(history, period, window, metrics, breaker_level=level, portfolio="paper")


def _headline(history: pd.DataFrame, period: ReportPeriod, window: int, metrics: dict, *, breaker_level: int | None,
              portfolio: str) -> Headline:
    last = history.iloc[-1]
    inside = history[history.trade_date >= period.start]
    before = history[history.trade_date < period.start]
    start_equity = before.equity.iloc[-1] if len(before) else history.equity.iloc[0] - history.pnl.iloc[0]
    return Headline(
        as_of=last.trade_date, equity=float(last.equity), pnl=float(inside.pnl.sum()) if len(inside) else 0.0,
        period_return=float(last.equity / start_equity - 1) if len(inside) else 0.0,
        drawdown=_value(last.drawdown), breaker_level=breaker_level, metrics_window_days=window,
        portfolio=portfolio, peak_date=peak_date(history), **metrics,
    )


def peak_date(history: pd.DataFrame):
    """The last day equity stood at its running peak (drawdown 0): where the current drawdown began.
    None when no day in the history is at its peak (the peak was the starting capital)."""
    at_peak = history[history.drawdown.astype(float) >= -1e-12]
    return at_peak.trade_date.iloc[-1] if len(at_peak) else None


def _value(value) -> float | None:
    return None if pd.isna(value) else float(value)
