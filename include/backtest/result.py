"""What a backtest returns: equity, positions, trades, breaker events and metrics.

Performance metrics are the project's single definitions (include/metrics/risk.py)
applied to the per-bar simple returns of equity (the first measured from the
initial capital), with P = periods_per_year(timeframe).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from include.backtest import breaker
from include.backtest import trades
from include.metrics import risk

TRADE_COLUMNS = ("entry_ts", "entry_price", "exit_ts", "exit_price", "side", "size", "qty", "fees",
                 "slippage", "pnl", "return", "exit_reason", "entry_bar", "exit_bar")
EVENT_COLUMNS = ("bar", "ts", "level", "previous_level", "action", "drawdown", "equity", "peak")


@dataclass
class BacktestResult:
    """equity: after each bar's close (by ts); positions: signed exposure (units * close / equity) at
    each close; trades: one row per trade (a still-open last trade is marked at the final close,
    exit_reason 'open'); events: breaker level changes; metrics: risk.py metrics + trade stats."""

    strategy: str
    params: dict[str, Any]
    timeframe: str
    initial_capital: float
    equity: pd.Series
    positions: pd.Series
    trades: pd.DataFrame
    events: pd.DataFrame
    metrics: dict[str, Any]

    @property
    def returns(self) -> pd.Series:
        """Per-bar simple returns of equity, the first from the initial capital."""
        return pd.Series(bar_returns(self.equity.to_numpy(), self.initial_capital), index=self.equity.index)


def bar_returns(equity: np.ndarray, initial_capital: float) -> np.ndarray:
    previous = np.empty_like(equity)
    previous[0] = initial_capital
    previous[1:] = equity[:-1]
    return equity / previous - 1.0


def trades_frame(records: np.ndarray, ts: pd.DatetimeIndex) -> pd.DataFrame:
    entry_bar = records[:, trades.ENTRY_BAR].astype(np.int64)
    exit_bar = records[:, trades.EXIT_BAR].astype(np.int64)
    return pd.DataFrame({
        "entry_ts": ts[entry_bar],
        "entry_price": records[:, trades.ENTRY_PRICE],
        "exit_ts": ts[exit_bar],
        "exit_price": records[:, trades.EXIT_PRICE],
        "side": np.where(records[:, trades.SIDE] > 0, "long", "short"),
        "size": records[:, trades.SIZE],
        "qty": records[:, trades.QTY],
        "fees": records[:, trades.FEES],
        "slippage": records[:, trades.SLIPPAGE],
        "pnl": records[:, trades.PNL],
        "return": records[:, trades.RETURN],
        "exit_reason": np.asarray(trades.EXIT_REASONS, dtype=object)[records[:, trades.REASON].astype(np.int64)],
        "entry_bar": entry_bar,
        "exit_bar": exit_bar,
    }, columns=list(TRADE_COLUMNS))


def events_frame(records: np.ndarray, ts: pd.DatetimeIndex) -> pd.DataFrame:
    bar = records[:, breaker.EV_BAR].astype(np.int64)
    level = records[:, breaker.EV_LEVEL].astype(np.int64)
    return pd.DataFrame({
        "bar": bar,
        "ts": ts[bar],
        "level": level,
        "previous_level": records[:, breaker.EV_PREVIOUS].astype(np.int64),
        "action": np.asarray(breaker.ACTIONS, dtype=object)[level],
        "drawdown": records[:, breaker.EV_DRAWDOWN],
        "equity": records[:, breaker.EV_EQUITY],
        "peak": records[:, breaker.EV_PEAK],
    }, columns=list(EVENT_COLUMNS))


@np.errstate(over="ignore")  # annualising a few bars can overflow to inf; that is the answer
def performance(returns: np.ndarray, periods: float) -> dict[str, float]:
    return {
        "total_return": risk.total_return(returns),
        "annual_return": risk.annual_return(returns, periods),
        "annual_volatility": risk.annual_volatility(returns, periods),
        "sharpe_ratio": risk.sharpe_ratio(returns, periods),
        "sortino_ratio": risk.sortino_ratio(returns, periods),
        "calmar_ratio": risk.calmar_ratio(returns, periods),
        "max_drawdown": risk.max_drawdown(returns),
    }


def trade_stats(records: np.ndarray, exposure: np.ndarray, totals: np.ndarray) -> dict[str, float]:
    """Over closed trades: count, win rate, profit factor (gross win / gross loss, NaN without a loss).
    exposure: share of bars closing with a position; turnover: sum of |traded notional| / equity."""
    closed = records[records[:, trades.REASON] != trades.OPEN]
    pnl = closed[:, trades.PNL]
    losses = -pnl[pnl < 0].sum()
    return {
        "n_trades": int(closed.shape[0]),
        "win_rate": float(np.mean(pnl > 0)) if pnl.size else np.nan,
        "profit_factor": float(pnl[pnl > 0].sum() / losses) if losses > 0 else np.nan,
        "exposure": float(np.mean(np.nan_to_num(exposure) != 0)),
        "turnover": float(totals[0]),
        "total_fees": float(totals[1]),
        "total_slippage": float(totals[2]),
    }


def build_result(strategy: str, params: dict, bars, initial_capital: float, run, full_metrics: bool) -> BacktestResult:
    equity, exposure, trade_records, event_records, totals = run
    returns = bar_returns(equity, initial_capital)
    metrics = {"final_equity": float(equity[-1])}
    metrics |= performance(returns, bars.periods)
    metrics |= trade_stats(trade_records, exposure, totals)
    if full_metrics:
        metrics |= risk.risk_metrics(pd.Series(returns, index=bars.ts), bars.periods)
    return BacktestResult(
        strategy=strategy,
        params=params,
        timeframe=bars.timeframe,
        initial_capital=initial_capital,
        equity=pd.Series(equity, index=bars.ts, name="equity"),
        positions=pd.Series(exposure, index=bars.ts, name="position"),
        trades=trades_frame(trade_records, bars.ts),
        events=events_frame(event_records, bars.ts),
        metrics=metrics,
    )
