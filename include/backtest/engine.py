"""run_backtest: one strategy with one parameter set on one series, costs, sizing, exits and breaker.

Vectorised where it can be (signals, volatility, ATR, sizes, slippage are NumPy
arrays computed once per call, most of them cached on a Bars) and one Numba pass
(kernel.simulate) for what depends on the account. Fill timing: the target
decided at bar t's close fills at bar t+1's open; see kernel.py and docs/backtest.md.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from include.backtest import kernel
from include.backtest.bars import Bars
from include.backtest.config import Breaker, Costs, Exits, Sizing
from include.backtest.costs import slippage_fractions
from include.backtest.lookahead import assert_no_lookahead
from include.backtest.result import BacktestResult, build_result
from include.backtest.sizing import base_sizes
from include.strategies.base import Strategy, validate_params
from include.strategies.registry import get_strategy
from include.timeframes import DAY_MS, timeframe_ms

DEFAULT_SIZING = Sizing()
DEFAULT_BREAKER = Breaker()
NO_EXITS = Exits()
NAN = math.nan


def _or_nan(value: float | None) -> float:
    return NAN if value is None else float(value)


def _exit_config(exits: Exits) -> np.ndarray:
    return np.array([_or_nan(exits.stop_loss), _or_nan(exits.take_profit), _or_nan(exits.trail_atr_mult),
                     exits.trail_min_pct, exits.trail_max_pct, exits.lock_trigger, exits.lock_profit])


def _kelly_config(sizing: Sizing) -> np.ndarray:
    return np.array([float(sizing.method == "kelly"), sizing.kelly_window, sizing.kelly_min_trades,
                     sizing.kelly_fraction, sizing.kelly_cap, sizing.kelly_fallback])


def _breaker_config(breaker: Breaker | None, timeframe: str) -> np.ndarray:
    if breaker is None:
        return np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    halt_bars = breaker.halt_bars or max(1, DAY_MS // timeframe_ms(timeframe))
    return np.array([1.0, breaker.warn, breaker.halve, breaker.halt, breaker.halve_scale, float(halt_bars)])


def engine_inputs(bars: Bars, costs: Costs | None, sizing: Sizing | None, exits: Exits | None,
                  breaker: Breaker | None, initial_capital: float) -> tuple:
    """The kernel's arguments after the signal (sizes, slippage, ATR, capital, fees, configs), cached on
    the Bars; run_backtest and the batch evaluator (batch.py) pass the same ones. None = the default."""
    costs = Costs() if costs is None else costs
    sizing = DEFAULT_SIZING if sizing is None else sizing
    exits = NO_EXITS if exits is None else exits
    no_atr = exits.trail_atr_mult is None
    return (
        bars.cached(("sizes", sizing), lambda: base_sizes(bars, sizing)),
        bars.cached(("slippage", costs), lambda: slippage_fractions(bars, costs)),
        bars.cached("nan", lambda: bars.close * NAN) if no_atr else bars.atr(exits.atr_window),
        float(initial_capital), costs.signal_fee, costs.exit_fee,
        _kelly_config(sizing), _exit_config(exits), _breaker_config(breaker, bars.timeframe),
    )


def run_backtest(
    frame: pd.DataFrame | Bars,
    strategy: Strategy | str,
    params: Mapping[str, Any] | None = None,
    costs: Costs | None = None,
    *,
    sizing: Sizing | None = None,
    exits: Exits | None = None,
    breaker: Breaker | None = DEFAULT_BREAKER,
    initial_capital: float = 10_000.0,
    timeframe: str | None = None,
    check_lookahead: bool = True,
    full_metrics: bool = False,
) -> BacktestResult:
    """Backtest `strategy` with `params` on one series.

    frame: one exchange/symbol/timeframe sorted by ts (ts, open, high, low, close, ...
        warehouse feature columns optional), or a Bars built from it once (faster in loops).
    strategy: a Strategy or a registered name; params: validated, defaults filled in.
    costs: fees and slippage (default Costs(): 10 bps taker, 2 bps + 0.5 x recent
        volatility slippage); Costs.zero() for none.
    sizing: Sizing() = fixed, full signal = 100 % of equity. exits: None = no stops.
    breaker: the drawdown circuit breaker (on by default; None switches it off).
    timeframe: the bar length ('1m'); inferred from ts when None.
    check_lookahead: run the lookahead guard first (see lookahead.py for when to skip it).
    full_metrics: add every risk.risk_metrics column (slower) to the core metrics.
    """
    if isinstance(strategy, str):
        strategy = get_strategy(strategy)
    params = validate_params(strategy, params)
    bars = frame if isinstance(frame, Bars) else Bars(frame, timeframe)
    if check_lookahead:
        assert_no_lookahead(strategy, bars.frame, params)
    run = kernel.simulate(bars.open, bars.high, bars.low, bars.close, bars.signal(strategy, params),
                          *engine_inputs(bars, costs, sizing, exits, breaker, initial_capital))
    return build_result(strategy.name, params, bars, float(initial_capital), run, full_metrics)
