"""The checks of a sweep spec that need its strategy or the backtest engine.

The strategy's name, the param overrides against its declared space, the grid's size,
and sizing / exits / breaker against the engine's own settings classes. spec.py imports
this module only when a spec is validated with strategies, so a shape-only check
(DAG files at parse time) never loads the strategies, Numba or Optuna.
"""
from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from include.backtest.config import BacktestConfigError, Breaker, Exits, Sizing
from include.strategies import StrategyError, get_strategy
from include.sweeps.space import grid_size, overridden

if TYPE_CHECKING:
    from include.sweeps.spec import ParamOverride, SweepSpec

ENGINE_SETTINGS = {"sizing": Sizing, "exits": Exits, "breaker": Breaker}


def strategy_problem(name: str) -> str | None:
    """None if a strategy of this name is registered, else the message listing the valid ones."""
    try:
        get_strategy(name)
    except StrategyError as exc:
        return str(exc)
    return None


def engine_setting_problem(field: str, value: Any) -> str | None:
    """None if `value` builds the engine's settings class for `field` (sizing, exits, breaker)."""
    kind = ENGINE_SETTINGS[field]
    names = [f.name for f in dataclasses.fields(kind)]
    valid = ", ".join(names)
    if not isinstance(value, dict):
        return f"{value!r} is not a mapping of {kind.__name__} settings; valid keys: {valid}"
    unknown = sorted(set(value) - set(names))
    if unknown:
        return f"unknown key {', '.join(map(repr, unknown))}; valid keys: {valid}"
    try:
        kind(**value)
    except BacktestConfigError as exc:
        return str(exc)
    except TypeError:  # e.g. a string where a number belongs
        return f"{value!r}: every value must be a number (or null where allowed); keys: {valid}"
    return None


def param_problems(spec: SweepSpec) -> list[str]:
    strategy = spec.get_strategy()
    names = [p.name for p in strategy.params]
    problems = []
    for name, override in spec.params.items():
        if name not in names:
            problems.append(f"params.{name}: strategy {strategy.name!r} has no param {name!r}; "
                            f"valid params: {', '.join(names)}")
        else:
            problems += _override_problems(strategy.param(name), override)
    return problems


def _override_problems(param, override: ParamOverride) -> list[str]:
    where = f"params.{param.name}"
    if override.value is not None:
        problem = param.problem(override.value)
        return [f"{where}: {problem}"] if problem else []
    if override.choices is not None:
        return [f"{where}.choices: {problem}" for c in override.choices if (problem := param.problem(c))]
    if param.kind == "categorical":
        return [f"{where}: {param.name!r} is categorical; give choices ({param.describe()}) or a fixed value"]
    problems = [f"{where}.{key}: {problem}" for key in ("low", "high")
                if (value := getattr(override, key)) is not None and (problem := param.problem(value))]
    if param.kind == "int" and override.step is not None and not float(override.step).is_integer():
        problems.append(f"{where}.step: {override.step} is not a whole number; {param.name!r} is an int")
    if not problems:
        dim = overridden(param, **override.model_dump())
        if dim.low > dim.high:
            problems.append(f"{where}: low ({dim.low}) is above high ({dim.high})")
    return problems


def grid_problems(spec: SweepSpec, budget: int, budget_key: str) -> list[str]:
    space = spec.space()
    continuous = [d.name for d in space if d.size() == math.inf]
    if continuous:
        return [f"params.{continuous[0]}: a grid needs a step or choices for every param"]
    size = grid_size(space)
    if size > budget:
        return [f"{budget_key}: the grid has {size:,} points ({' x '.join(f'{d.name} {d.size()}' for d in space)}), "
                f"more than {budget_key} {budget:,}; narrow params or raise {budget_key}"]
    return []
