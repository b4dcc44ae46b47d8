"""What a strategy is: a name, a declared parameter space and a pure signal function.

signal(frame, params) -> float array, one target position per bar in [-1, 1]
(1 = fully long, -1 = fully short, 0 = flat, fractions allowed; NaN during
warm-up). It must be causal: the value at bar t may use rows 0..t only
(include/backtest/lookahead.py checks this). params arrive validated, defaults filled.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from include.errors import PeakTradeError

PARAM_KINDS = ("int", "float", "categorical")


class StrategyError(PeakTradeError):
    """An unknown strategy, a bad parameter, or a signal outside [-1, 1]."""


@dataclass(frozen=True)
class Param:
    """One declared parameter: int/float with [low, high] (and a sweep step), or categorical choices."""

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()

    def __post_init__(self):
        if self.kind not in PARAM_KINDS:
            raise StrategyError(f"param {self.name!r}: kind {self.kind!r} is not one of {', '.join(PARAM_KINDS)}")
        if self.kind == "categorical" and not self.choices:
            raise StrategyError(f"categorical param {self.name!r} declares no choices")
        if self.kind != "categorical" and (self.low is None or self.high is None or self.low > self.high):
            raise StrategyError(f"param {self.name!r} needs low <= high")
        if self.problem(self.default) is not None:
            raise StrategyError(f"param {self.name!r}: default {self.default!r} is outside its own space")

    def describe(self) -> str:
        if self.kind == "categorical":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return f"{'an int' if self.kind == 'int' else 'a number'} in [{self.low}, {self.high}]"

    def coerce(self, value):
        """The value in this param's type (numpy scalars and integral floats for ints accepted), or None."""
        if self.kind == "categorical":
            return value if value in self.choices else None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return None
        if self.kind == "int":
            if isinstance(value, (float, np.floating)) and not float(value).is_integer():
                return None
            return int(value)
        return float(value)

    def problem(self, value) -> str | None:
        """None when value is valid, else why not."""
        coerced = self.coerce(value)
        if coerced is None or (self.kind == "float" and math.isnan(coerced)):
            return f"{value!r} is not {self.describe()}"
        if self.kind != "categorical" and not self.low <= coerced <= self.high:
            return f"{value!r} is out of range; valid: {self.describe()}"
        return None


@dataclass(frozen=True)
class Strategy:
    """A registered strategy. `rule` checks constraints between params and returns a message or None."""

    name: str
    params: tuple[Param, ...]
    signal: Callable[[pd.DataFrame, Mapping[str, Any]], np.ndarray]
    description: str = ""
    rule: Callable[[Mapping[str, Any]], str | None] | None = None
    # The input columns signal(params) reads through signals.column_or, each with how to compute it from the
    # frame: a batch of parameter sets computes each distinct one once (include/backtest/batch.py).
    columns: Callable[[Mapping[str, Any]], dict[str, Callable[[pd.DataFrame], np.ndarray]]] | None = None
    # kernel_signal(params) -> ((fast, slow), flag): the signal computed inside the batch kernel, bar by bar, from
    # two of the columns above, instead of a matrix of signals (include/backtest/kernel.py signal_at: today the
    # one kind is sma_crossover's crossover, flag = long-short); equal to signal() (tests/sweeps/
    # test_batch_evaluator.py). None: signal() per params.
    kernel_signal: Callable[[Mapping[str, Any]], tuple[tuple[str, str], bool]] | None = None
    _by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kernel_signal is not None and self.columns is None:
            raise StrategyError(f"strategy {self.name!r}: a kernel_signal reads its columns: declare columns")
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})

    def param(self, name: str) -> Param:
        return self._by_name[name]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def signals(self, frame: pd.DataFrame, params: Mapping[str, Any] | None = None, *,
                validated: bool = False) -> np.ndarray:
        """Target positions for every bar of frame, checked to lie in [-1, 1] (NaN allowed)."""
        params = dict(params) if validated else validate_params(self, params)
        values = np.asarray(self.signal(frame, params), dtype=np.float64)
        if values.shape != (len(frame),):
            raise StrategyError(f"strategy {self.name!r} returned {values.shape} signals for {len(frame)} bars")
        if values.size and np.nanmax(np.abs(values), initial=0.0) > 1.0:
            raise StrategyError(f"strategy {self.name!r} returned a target position outside [-1, 1]")
        return values


def validate_params(strategy: Strategy, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """params with defaults filled in; raises StrategyError naming the first bad param and its valid range."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(strategy._by_name))
    if unknown:
        valid = ", ".join(p.name for p in strategy.params) or "none"
        raise StrategyError(f"strategy {strategy.name!r} has no param {unknown[0]!r}; valid params: {valid}")
    out = strategy.defaults()
    for name, value in params.items():
        param = strategy.param(name)
        problem = param.problem(value)
        if problem is not None:
            raise StrategyError(f"strategy {strategy.name!r}: param {name!r} = {problem}")
        out[name] = param.coerce(value)
    if strategy.rule is not None:
        problem = strategy.rule(out)
        if problem is not None:
            raise StrategyError(f"strategy {strategy.name!r}: {problem}")
    return out
