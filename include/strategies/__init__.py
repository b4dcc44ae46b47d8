"""Strategies: declared parameter spaces and pure, causal signal functions, found by name.

Each module here that defines STRATEGY is registered under STRATEGY.name.
"""
from include.strategies.base import Param, Strategy, StrategyError, validate_params
from include.strategies.registry import broken_strategies, get_strategy, strategies, strategy_names

__all__ = [
    "Param", "Strategy", "StrategyError", "broken_strategies", "get_strategy", "strategies", "strategy_names",
    "validate_params",
]
