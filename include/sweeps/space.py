"""A sweep's parameter space: one Dimension per strategy param, and the ways to walk it.

A dimension is the strategy's declared space unless the sweep overrides it with a
fixed value, a list of choices, or a narrower low/high/step. Grid points and random
samples are filtered by the strategy's own rule (e.g. fast < slow), so every trial a
plan holds is a valid parameter set.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from include.strategies.base import Param, Strategy, StrategyError, validate_params

RANDOM_ATTEMPTS_PER_SAMPLE = 100  # draws allowed per wanted sample before the space counts as exhausted


@dataclass(frozen=True)
class Dimension:
    """One param's sweep range: `choices` (categorical, an explicit list, or one fixed value),
    else numbers from low to high on `step` (continuous when step is None)."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()

    @property
    def fixed(self) -> bool:
        return len(self.choices) == 1

    def size(self) -> float:
        """Number of grid values; inf for a continuous range."""
        if self.choices:
            return len(self.choices)
        if self.step is None:
            return math.inf
        return math.floor((self.high - self.low) / self.step + 1e-9) + 1

    def values(self) -> tuple:
        """The grid values, low first (a float step's rounding noise removed)."""
        if self.choices:
            return self.choices
        if self.step is None:
            raise StrategyError(f"param {self.name!r} is continuous (no step): give it a step or choices for a grid")
        points = (self.low + k * self.step for k in range(int(self.size())))
        return tuple(int(round(v)) if self.kind == "int" else round(v, 10) for v in points)

    def sample(self, rng: np.random.Generator) -> Any:
        if self.choices or self.step is not None:
            values = self.values()
            return values[int(rng.integers(len(values)))]
        if self.kind == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return float(rng.uniform(self.low, self.high))

    def suggest(self, trial) -> Any:
        """Ask an Optuna trial for this param (the grid's top value, so Optuna never trims the range)."""
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        high = self.values()[-1] if self.step is not None else self.high
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(high), step=int(self.step or 1))
        return trial.suggest_float(self.name, self.low, high, step=self.step)


def declared(param: Param) -> Dimension:
    if param.kind == "categorical":
        return Dimension(param.name, param.kind, choices=tuple(param.choices))
    return Dimension(param.name, param.kind, param.low, param.high, param.step)


def overridden(param: Param, value=None, low=None, high=None, step=None, choices=None) -> Dimension:
    """The declared dimension narrowed by a (validated) override."""
    if value is not None:
        return Dimension(param.name, param.kind, choices=(param.coerce(value),))
    if choices is not None:
        return Dimension(param.name, param.kind, choices=tuple(param.coerce(c) for c in choices))
    base = declared(param)
    pick = lambda given, default: default if given is None else param.coerce(given)  # noqa: E731
    return Dimension(param.name, param.kind, pick(low, base.low), pick(high, base.high), pick(step, base.step))


def grid_size(space: tuple[Dimension, ...]) -> float:
    return math.prod(d.size() for d in space)


def fixed_values(space: tuple[Dimension, ...]) -> dict[str, Any]:
    return {d.name: d.choices[0] for d in space if d.fixed}


def valid(strategy: Strategy, params: dict) -> dict | None:
    """params with the strategy's types, or None when they break its rule."""
    try:
        return validate_params(strategy, params)
    except StrategyError:
        return None


def grid_points(strategy: Strategy, space: tuple[Dimension, ...]) -> list[dict]:
    """The cartesian product in a fixed order (first param slowest), minus sets the strategy rejects."""
    names = [d.name for d in space]
    points = (dict(zip(names, combo)) for combo in itertools.product(*(d.values() for d in space)))
    return [p for p in (valid(strategy, p) for p in points) if p is not None]


def random_points(strategy: Strategy, space: tuple[Dimension, ...], count: int, seed: int) -> list[dict]:
    """`count` distinct valid samples from a generator seeded by `seed` (fewer if the space is smaller)."""
    rng = np.random.default_rng(seed)
    found: dict[tuple, dict] = {}
    for _ in range(count * RANDOM_ATTEMPTS_PER_SAMPLE):
        if len(found) == count:
            break
        params = valid(strategy, {d.name: d.sample(rng) for d in space})
        if params is not None:
            found.setdefault(tuple(sorted(params.items())), params)
    return list(found.values())
