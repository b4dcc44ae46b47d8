"""One trial = one parameter set backtested on every series of the universe, metrics averaged.

A trial's metric is the plain mean over the universe's series, so each series
weighs the same whatever its length or price. If a series' metric is undefined
(NaN: e.g. a Sharpe ratio with no trade, equity flat) the trial's is NaN too and
ranks last: a parameter set that does nothing on one market is not hidden by
the others. n_trades is the sum over series. Each trial also carries `per_series`:
{"<exchange> <symbol>": {metric: value}} (NaN as None, so it stays valid JSON), from
which the warehouse derives the best parameters per symbol. With `score: portfolio` the
trial's metrics are instead those of one shared-cash account over the universe
(portfolio_metrics); per_series stays each series' own.

With `keep_daily`, a trial also carries `daily_returns`: per series (universe order) its
equity's DAILY simple returns (the bar returns compounded per UTC day, float32), which
include/sweeps/odds.py needs for the deflated Sharpe ratio and the PBO.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from include.backtest import Bars, Costs, run_backtest
from include.backtest.batch import iter_batch, summary_dict
from include.backtest.config import Breaker, Exits, Sizing
from include.backtest.portfolio import Rebalance, run_shared_cash
from include.backtest.result import BacktestResult, performance
from include.strategies import Strategy
from include.sweeps.errors import SweepError
from include.sweeps.spec import METRICS, SweepSpec
from include.timeframes import frame_timestamps, periods_per_year


def series_frames(spec: SweepSpec, frames: Mapping[tuple[str, str], pd.DataFrame], start=None,
                  end=None) -> list[pd.DataFrame]:
    """Each universe series' bars within [start, end) and the spec's own window, in universe order."""
    lo = max((t for t in (spec.start, start) if t is not None), default=None)
    hi = min((t for t in (spec.end, end) if t is not None), default=None)
    out = []
    for ref in spec.universe:
        if ref.key not in frames:
            have = ", ".join(f"{e} {s}" for e, s in frames) or "none"
            raise SweepError(f"sweep {spec.name!r}: no candles for {ref.exchange} {ref.symbol}; frames given: {have}")
        frame = frames[ref.key]
        ts = frame_timestamps(frame)
        first = 0 if lo is None else ts.searchsorted(pd.Timestamp(lo))
        last = len(ts) if hi is None else ts.searchsorted(pd.Timestamp(hi))
        if last - first < 2:
            raise SweepError(f"sweep {spec.name!r}: {ref.exchange} {ref.symbol} has {last - first} bars "
                             f"in [{lo}, {hi}); a backtest needs at least 2")
        out.append(frame.iloc[first:last].reset_index(drop=True))
    return out


def series_bars(spec: SweepSpec, frames, start=None, end=None) -> list[Bars]:
    return [Bars(frame, spec.timeframe) for frame in series_frames(spec, frames, start, end)]


def mean_metrics(per_series: list[dict[str, float]]) -> dict[str, float]:
    out = {name: float(np.mean([m[name] for m in per_series])) for name in METRICS}
    out["n_trades"] = int(sum(m["n_trades"] for m in per_series))
    return out


def series_label(exchange: str, symbol: str) -> str:
    return f"{exchange} {symbol}"


def by_series(labels: tuple[str, ...], per_series: list[dict]) -> dict[str, dict[str, float | None]]:
    """Each series' metrics under its label; NaN becomes None (JSON has no NaN)."""
    keep = (*METRICS, "n_trades")
    return {label: {m: None if math.isnan(v := float(metrics[m])) else v for m in keep}
            for label, metrics in zip(labels, per_series, strict=True)}


def window_metrics(result: BacktestResult, first_bar: int) -> dict[str, float]:
    """The metrics of bars first_bar.. of a run (their per-bar returns); n_trades = trades opened there
    and closed by the run's end (the engine's n_trades also counts closed trades only)."""
    returns = result.returns.to_numpy()[first_bar:]
    metrics = performance(returns, periods_per_year(result.timeframe))
    trades = result.trades
    metrics["n_trades"] = int(((trades["entry_bar"] >= first_bar) & (trades["exit_reason"] != "open")).sum())
    return metrics


def day_starts(ts: pd.DatetimeIndex) -> np.ndarray:
    """The position of each UTC day's first bar in ts (sorted)."""
    days = ts.tz_convert("UTC").normalize() if ts.tz is not None else ts.normalize()
    return np.flatnonzero(np.r_[True, days[1:] != days[:-1]])


def daily_returns(bar_returns: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Bar returns compounded per day: prod(1 + r) - 1 over each day's bars, as float32."""
    with np.errstate(divide="ignore"):  # a -100 % bar gives log 0 = -inf, and the day -100 %
        return np.expm1(np.add.reduceat(np.log1p(bar_returns), starts)).astype(np.float32)


@dataclass
class Evaluator:
    """Backtests params on prepared series (Bars reused across trials, no lookahead check per run)."""

    strategy: Strategy
    costs: Costs
    bars: list[Bars]
    labels: tuple[str, ...]  # one per bars, in universe order
    sizing: Sizing | None = None
    exits: Exits | None = None
    breaker: Breaker | None = None
    score: str = "sleeves"            # or "portfolio": one shared-cash account (spec.score)
    rebalance: Rebalance | None = None
    keep_daily: bool = False  # add each series' daily returns to a trial (`daily_returns`)

    @classmethod
    def for_spec(cls, spec: SweepSpec, bars: list[Bars], keep_daily: bool = False) -> Evaluator:
        labels = tuple(series_label(*ref.key) for ref in spec.universe)
        return cls(spec.get_strategy(), spec.costs.to_costs(), bars, labels, **spec.engine_settings(),
                   score=spec.score, rebalance=spec.rebalance.to_rebalance(), keep_daily=keep_daily)

    @cached_property
    def days(self) -> list[tuple[pd.Timestamp, np.ndarray]]:
        """Per series: its first UTC day and the positions of each day's first bar."""
        return [(b.ts[0].normalize(), day_starts(b.ts)) for b in self.bars]

    def results(self, params: dict) -> list[BacktestResult]:
        return [run_backtest(b, self.strategy, params, self.costs, sizing=self.sizing, exits=self.exits,
                             breaker=self.breaker, check_lookahead=False) for b in self.bars]

    def __call__(self, params: dict) -> dict:
        """The scored metrics (the sleeves' mean, or the shared-cash account's), plus `per_series` (see
        by_series) and, with keep_daily, `daily_returns` (per series: its first day and its daily returns)."""
        results = self.results(params)
        per_series = [r.metrics for r in results]
        scored = portfolio_metrics(self, params) if self.score == "portfolio" else mean_metrics(per_series)
        out = scored | {"per_series": by_series(self.labels, per_series)}
        if self.keep_daily:
            out["daily_returns"] = [(first, daily_returns(r.returns.to_numpy(), starts))
                                    for r, (first, starts) in zip(results, self.days, strict=True)]
        return out

    def many(self, params_list: Sequence[dict]) -> list[dict]:
        """[self(p) for p in params_list], the sleeves from one batch-kernel pass per series and block
        (include/backtest/batch.py): the same numbers (tests/sweeps/test_batch_evaluator.py) without a
        run_backtest per trial. With keep_daily the kernel also hands back each block's bar returns and the
        daily returns are compounded here, as __call__ does (memory: one block of bars x trials).
        score: portfolio is one shared-cash account over the universe (include/backtest/portfolio_kernel.py),
        not the per-series pass the batch kernel runs, so it takes the per-trial path explicitly."""
        if self.score == "portfolio":
            return [self(params) for params in params_list]
        per_series = [[{} for _ in self.bars] for _ in params_list]
        days = [[None for _ in self.bars] for _ in params_list] if self.keep_daily else None
        for s, bars in enumerate(self.bars):
            blocks = iter_batch(bars, self.strategy, params_list, self.costs, sizing=self.sizing, exits=self.exits,
                                breaker=self.breaker, keep_returns=self.keep_daily)
            for start, rows, returns in blocks:
                for i, row in enumerate(rows):
                    per_series[start + i][s] = summary_dict(row)
                    if days is not None:
                        first, starts = self.days[s]
                        days[start + i][s] = (first, daily_returns(returns[i], starts))
        out = [mean_metrics(series) | {"per_series": by_series(self.labels, series)} for series in per_series]
        if days is not None:
            for trial, daily in zip(out, days, strict=True):
                trial["daily_returns"] = daily
        return out


def portfolio_metrics(evaluator: Evaluator, params: dict) -> dict[str, float]:
    """The `portfolio` score: the metrics of one shared-cash account over the universe (the same
    names as mean_metrics; n_trades counts its fills). Sizing and exits are the sleeves' only."""
    result = run_shared_cash(dict(zip(evaluator.labels, evaluator.bars, strict=True)), evaluator.strategy, params,
                             evaluator.costs, rebalance=evaluator.rebalance, breaker=evaluator.breaker,
                             check_lookahead=False)
    return {name: result.metrics[name] for name in METRICS} | {"n_trades": result.metrics["n_trades"]}
