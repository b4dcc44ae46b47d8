"""The config with every package's checks composed: shape, each exchange's source catalogue, the sweeps.

    load_checked_config()                  # DAG files at parse time: no strategies, Numba or Optuna
    load_checked_config(strategies=True)   # the sweep tasks: strategy names and params checked too

Every problem is reported in one ConfigError, `<file>: <key path>: ...; <key path>: ...`.
"""
from __future__ import annotations

from pathlib import Path

from include.config.loader import config_path, load_config, parse_config
from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.sources.kinds import catalogue_problems
from include.sweeps.checks import sweep_problems


def load_checked_config(path: str | Path | None = None, *, strategies: bool = False) -> PeakTradeConfig:
    path = Path(path) if path else config_path()
    return check_config(load_config(path), str(path), strategies=strategies)


def parse_checked_config(raw: dict, source: str = "config", *, strategies: bool = False) -> PeakTradeConfig:
    return check_config(parse_config(raw, source), source, strategies=strategies)


def check_config(config: PeakTradeConfig, source: str, *, strategies: bool = False) -> PeakTradeConfig:
    """config itself if every check passes; else one ConfigError naming every problem's key path."""
    problems = config_problems(config, strategies=strategies)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return config


def config_problems(config: PeakTradeConfig, *, strategies: bool = False) -> list[str]:
    problems = []
    for index, exchange in enumerate(config.universe.exchanges):
        symbols = exchange.symbols or config.universe.symbols
        timeframes = exchange.timeframes or config.universe.timeframes
        problems += catalogue_problems(exchange, symbols, timeframes, f"universe.exchanges[{index}]")
    problems += sweep_problems(config, strategies=strategies)
    return problems
