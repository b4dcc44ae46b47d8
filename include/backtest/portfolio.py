"""run_shared_cash: one account over many assets, rebalanced toward target weights (one portfolio, not sleeves).

Targets: either a strategy's signals on every asset, turned into weights by
signal_weights (each asset's signal divided by the number of assets with a non-zero
signal: equal weight over the assets the strategy is in, shorts negative), or given
weights (a frame of target weights by ts, e.g. the optimiser's). The weight decided at
bar t's close fills at bar t+1's open, as in run_backtest.

Rebalancing (Rebalance): on a schedule (every k bars; every="1d" = one day of bars), when
the target weights change (on_change, the default: a signal strategy trades when its
signals do), and/or on drift (some |target - current weight| above a threshold). The
orders are the desk's arithmetic (include/backtest/rebalance.py): weights x equity / price,
reduce legs before increase legs, truncated to each asset's lot step, a leg below the
venue's minimum amount or cost dropped (Lot). Fees and slippage per fill are costs.py's.
The circuit breaker watches the ACCOUNT's equity (portfolio_kernel.py has the bar order).

Assets may have different timestamps: the account runs on their union; an asset is traded
only at its own bars and valued at its last close in between (nothing before its first).
Metrics are the single backtest's (result.performance, include.metrics.risk) on the
account's per-bar returns; n_trades counts fills.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from include.backtest import portfolio_kernel as pk
from include.backtest.bars import Bars
from include.backtest.config import BacktestConfigError, Breaker, Costs
from include.backtest.costs import slippage_fractions
from include.backtest.engine import DEFAULT_BREAKER, _breaker_config
from include.backtest.lookahead import assert_no_lookahead
from include.backtest.result import bar_returns, events_frame, performance
from include.metrics import risk
from include.strategies.base import Strategy, validate_params
from include.strategies.registry import get_strategy
from include.timeframes import periods_per_year, timeframe_ms

FILL_COLUMNS = ("ts", "bar", "asset", "side", "leg", "qty", "ref_price", "price", "fee", "slippage", "reason")


@dataclass(frozen=True)
class Rebalance:
    """When the account rebalances: every `every` bars (an int, or a timeframe such as "1d"),
    when the target weights change (on_change), when some |target - current weight| > drift."""

    every: int | str | None = None
    drift: float | None = None
    on_change: bool = True

    def __post_init__(self):
        every = self.every
        if every is not None and not (isinstance(every, str) or (isinstance(every, int) and every >= 1)):
            raise BacktestConfigError(f"Rebalance.every = {every!r} is invalid; valid: None, an int >= 1 or a "
                                      "timeframe such as '1d'")
        if isinstance(every, str):
            try:
                timeframe_ms(every)
            except ValueError as error:
                raise BacktestConfigError(f"Rebalance.every = {every!r} is invalid: {error}") from None
        if self.drift is not None and not 0 < self.drift < 10:
            raise BacktestConfigError(f"Rebalance.drift = {self.drift!r} is invalid; valid: None or a number in (0, 10)")
        if every is None and self.drift is None and not self.on_change:
            raise BacktestConfigError("Rebalance: nothing would ever rebalance; set every, drift or on_change")

    def every_bars(self, timeframe: str) -> int:
        if self.every is None:
            return 0
        if isinstance(self.every, int):
            return self.every
        return max(1, timeframe_ms(self.every) // timeframe_ms(timeframe))


@dataclass(frozen=True)
class Lot:
    """A venue's amount rules for one asset: lot step (0 = none), minimum / maximum amount, minimum cost."""

    step: float = 0.0
    min_amount: float = 0.0
    max_amount: float = math.inf
    min_cost: float = 0.0

    def __post_init__(self):
        for name in ("step", "min_amount", "min_cost"):
            value = getattr(self, name)
            if not value >= 0:
                raise BacktestConfigError(f"Lot.{name} = {value!r} is invalid; valid: a number >= 0")
        if not self.max_amount > 0:
            raise BacktestConfigError(f"Lot.max_amount = {self.max_amount!r} is invalid; valid: a number > 0")


@dataclass
class SharedCashResult:
    """equity and cash after each close; positions: units per asset; weights: each asset's value / equity;
    targets: the target weights decided at each close; fills: one row per order filled; events: breaker
    level changes of the account; metrics: result.performance (+ risk.risk_metrics when full) and fill stats."""

    initial_capital: float
    timeframe: str
    equity: pd.Series
    cash: pd.Series
    positions: pd.DataFrame
    weights: pd.DataFrame
    targets: pd.DataFrame
    fills: pd.DataFrame
    events: pd.DataFrame
    metrics: dict[str, Any]

    @property
    def returns(self) -> pd.Series:
        return pd.Series(bar_returns(self.equity.to_numpy(), self.initial_capital), index=self.equity.index)


def signal_weights(signals: pd.DataFrame) -> pd.DataFrame:
    """Each asset's signal / the number of assets with a non-zero signal at that close (NaN = 0)."""
    values = signals.fillna(0.0)
    active = (values != 0).sum(axis=1).replace(0, 1)
    return values.div(active, axis=0)


def run_shared_cash(
    frames: Mapping[str, pd.DataFrame | Bars],
    strategy: Strategy | str | None = None,
    params: Mapping[str, Any] | None = None,
    costs: Costs | None = None,
    *,
    weights: pd.DataFrame | None = None,
    rebalance: Rebalance | None = None,
    lots: Mapping[str, Lot] | None = None,
    breaker: Breaker | None = DEFAULT_BREAKER,
    initial_capital: float = 10_000.0,
    timeframe: str | None = None,
    check_lookahead: bool = True,
    full_metrics: bool = False,
) -> SharedCashResult:
    """Backtest one shared-cash account over `frames` ({asset: frame or Bars}, one timeframe).

    Give either `strategy` (+ params) or `weights` (index: ts, columns: assets; carried forward
    between its rows, 0 before the first). costs: Costs() default, Costs.zero() for none.
    rebalance: Rebalance() = on target change only. lots: {asset: Lot} (default: no rounding).
    breaker: on the account's equity (None = off).
    """
    if (strategy is None) == (weights is None):
        raise BacktestConfigError("run_shared_cash: give either a strategy or target weights, not both or neither")
    if not frames:
        raise BacktestConfigError("run_shared_cash: frames is empty; give {asset: frame} for one or more assets")
    labels = list(frames)
    bars = {a: f if isinstance(f, Bars) else Bars(f, timeframe) for a, f in frames.items()}
    found = {b.timeframe for b in bars.values()}
    if len(found) > 1:
        raise BacktestConfigError(f"run_shared_cash: every asset must share one timeframe; got {sorted(found)}")
    tf = found.pop()
    costs = Costs() if costs is None else costs
    rebalance = Rebalance() if rebalance is None else rebalance
    ts, rows = _union(bars, labels)

    def aligned(values: Mapping[str, np.ndarray], fill: bool) -> np.ndarray:
        """[bars of the union, assets]; NaN where an asset has no bar (carried forward when fill)."""
        out = np.full((len(ts), len(labels)), np.nan)
        for column, a in enumerate(labels):
            out[rows[a], column] = values[a]
        return np.ascontiguousarray(pd.DataFrame(out).ffill().to_numpy()) if fill else out

    if strategy is not None:
        strategy = get_strategy(strategy) if isinstance(strategy, str) else strategy
        params = validate_params(strategy, params)
        if check_lookahead:
            assert_no_lookahead(strategy, bars[labels[0]].frame, params)
        signals = pd.DataFrame(aligned({a: bars[a].signal(strategy, params) for a in labels}, True),
                               index=ts, columns=labels)
        targets = signal_weights(signals)
    else:
        targets = _given_weights(weights, labels, ts)
    lot = [(lots or {}).get(a, Lot()) for a in labels]
    unknown = sorted(set(lots or {}) - set(labels))
    if unknown:
        raise BacktestConfigError(f"run_shared_cash: lots name unknown assets {unknown}; valid: {labels}")
    open_ = aligned({a: bars[a].open for a in labels}, False)
    mark = aligned({a: bars[a].close for a in labels}, True)
    slip = aligned({a: bars[a].cached(("slippage", costs), lambda b=bars[a]: slippage_fractions(b, costs))
                    for a in labels}, False)
    policy = np.array([rebalance.every_bars(tf), math.nan if rebalance.drift is None else rebalance.drift,
                       float(rebalance.on_change)])
    run = pk.simulate_portfolio(
        open_, mark, np.ascontiguousarray(targets.to_numpy(dtype=float)), slip, costs.signal_fee,
        np.array([x.step for x in lot]), np.array([x.min_amount for x in lot]),
        np.array([x.max_amount for x in lot]), np.array([x.min_cost for x in lot]),
        float(initial_capital), policy, _breaker_config(breaker, tf))
    return _result(run, ts, labels, targets, mark, float(initial_capital), tf, full_metrics)


def _union(bars: Mapping[str, Bars], labels: list[str]) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
    """The union of the assets' timestamps, and each asset's rows in it."""
    first = bars[labels[0]].ts
    if all(bars[a].ts.equals(first) for a in labels[1:]):
        every = np.arange(len(first))
        return first.rename("ts"), dict.fromkeys(labels, every)
    stamps = np.unique(np.concatenate([bars[a].ts.asi8 for a in labels]))
    ts = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True), name="ts").as_unit(first.unit)
    return ts, {a: ts.get_indexer(bars[a].ts) for a in labels}


def _given_weights(weights: pd.DataFrame, labels: list[str], ts: pd.DatetimeIndex) -> pd.DataFrame:
    unknown = [c for c in weights.columns if c not in labels]
    if unknown:
        raise BacktestConfigError(f"run_shared_cash: weights name unknown assets {unknown}; valid: {labels}")
    frame = weights.reindex(columns=labels).astype(float)
    frame.index = pd.DatetimeIndex(frame.index)
    if frame.index.tz is None:
        frame.index = frame.index.tz_localize("UTC")
    return frame.reindex(ts, method="ffill").fillna(0.0)


def _result(run, ts, labels, targets, mark, capital, timeframe, full_metrics) -> SharedCashResult:
    equity, cash, held, fill_rows, event_rows, totals = run
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(held != 0, held * np.nan_to_num(mark), 0.0) / equity[:, None]
    returns = bar_returns(equity, capital)
    periods = periods_per_year(timeframe)
    metrics = {"final_equity": float(equity[-1])} | performance(returns, periods)
    metrics |= {
        "n_trades": int(fill_rows.shape[0]),
        "exposure": float(np.mean((held != 0).any(axis=1))),
        "turnover": float(totals[0]),
        "total_fees": float(totals[1]),
        "total_slippage": float(totals[2]),
    }
    if full_metrics:
        metrics |= risk.risk_metrics(pd.Series(returns, index=ts), periods)
    return SharedCashResult(
        initial_capital=capital,
        timeframe=timeframe,
        equity=pd.Series(equity, index=ts, name="equity"),
        cash=pd.Series(cash, index=ts, name="cash"),
        positions=pd.DataFrame(held, index=ts, columns=labels),
        weights=pd.DataFrame(weights, index=ts, columns=labels),
        targets=targets,
        fills=fills_frame(fill_rows, ts, labels),
        events=events_frame(event_rows, ts),
        metrics=metrics,
    )


def fills_frame(rows: np.ndarray, ts: pd.DatetimeIndex, labels: list[str]) -> pd.DataFrame:
    bar = rows[:, pk.F_BAR].astype(np.int64)
    qty = rows[:, pk.F_QTY]
    return pd.DataFrame({
        "ts": ts[bar],
        "bar": bar,
        "asset": np.asarray(labels, dtype=object)[rows[:, pk.F_ASSET].astype(np.int64)],
        "side": np.where(qty > 0, "buy", "sell"),
        "leg": np.asarray(pk.LEGS, dtype=object)[rows[:, pk.F_LEG].astype(np.int64)],
        "qty": np.abs(qty),
        "ref_price": rows[:, pk.F_REF],
        "price": rows[:, pk.F_PRICE],
        "fee": rows[:, pk.F_FEE],
        "slippage": rows[:, pk.F_SLIPPAGE],
        "reason": np.asarray(pk.REASONS, dtype=object)[rows[:, pk.F_REASON].astype(np.int64)],
    }, columns=list(FILL_COLUMNS))
