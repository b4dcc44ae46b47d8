"""Strategies found in this folder: every module that defines a STRATEGY, registered by its name."""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from include.strategies.base import Strategy, StrategyError

PACKAGE = "include.strategies"


@cache
def strategies() -> dict[str, Strategy]:
    """name -> Strategy, imported once on first use."""
    package = importlib.import_module(PACKAGE)
    found: dict[str, Strategy] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{PACKAGE}.{module_info.name}")
        strategy = getattr(module, "STRATEGY", None)
        if strategy is None:
            continue
        if not isinstance(strategy, Strategy):
            raise StrategyError(f"{module.__name__}.STRATEGY is a {type(strategy).__name__}, not a Strategy")
        if strategy.name in found:
            raise StrategyError(f"two modules define a strategy named {strategy.name!r}")
        found[strategy.name] = strategy
    return found


def strategy_names() -> list[str]:
    return sorted(strategies())


def get_strategy(name: str) -> Strategy:
    """The registered strategy called `name`; StrategyError listing the valid names otherwise."""
    found = strategies()
    if name not in found:
        raise StrategyError(f"unknown strategy {name!r}; valid strategies: {', '.join(sorted(found))}")
    return found[name]
