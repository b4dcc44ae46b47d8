"""Strategies found in this folder: every module that defines a STRATEGY, registered by its name.

A user adds a strategy by dropping a module here. A module that fails to import, or
whose STRATEGY is not a Strategy or reuses a taken name, is set aside with its reason
(logged, and named when a sweep or backtest asks for it); the others still load.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import cache

from include.strategies.base import Strategy, StrategyError

PACKAGE = "include.strategies"
log = logging.getLogger(__name__)


def discover(package: str) -> tuple[dict[str, Strategy], dict[str, str]]:
    """(name -> Strategy, module file -> why it was set aside) for the modules of `package`."""
    root = importlib.import_module(package)
    found: dict[str, Strategy] = {}
    broken: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        where = f"{module_info.name}.py"
        try:
            module = importlib.import_module(f"{package}.{module_info.name}")
        except Exception as exc:  # noqa: BLE001 - any error in a user's file must not hide the others
            broken[where] = f"{type(exc).__name__}: {exc}"
            continue
        strategy = getattr(module, "STRATEGY", None)
        if strategy is None:
            continue
        if not isinstance(strategy, Strategy):
            broken[where] = f"STRATEGY is a {type(strategy).__name__}, not a Strategy"
        elif strategy.name in found:
            broken[where] = f"a strategy named {strategy.name!r} is already defined by an earlier module"
        else:
            found[strategy.name] = strategy
    for where, reason in broken.items():
        log.error("strategy file %s skipped: %s", where, reason)
    return found, broken


@cache
def _registry() -> tuple[dict[str, Strategy], dict[str, str]]:
    return discover(PACKAGE)


def strategies() -> dict[str, Strategy]:
    """name -> Strategy, imported once on first use."""
    return _registry()[0]


def broken_strategies() -> dict[str, str]:
    """Module file -> the reason it was set aside."""
    return _registry()[1]


def strategy_names() -> list[str]:
    return sorted(strategies())


def get_strategy(name: str) -> Strategy:
    """The registered strategy called `name`; StrategyError listing the valid names otherwise."""
    found, broken = _registry()
    if name not in found:
        skipped = "".join(f"; skipped {where} ({reason})" for where, reason in broken.items())
        raise StrategyError(f"unknown strategy {name!r}; valid strategies: {', '.join(sorted(found))}{skipped}")
    return found[name]
