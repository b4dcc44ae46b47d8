"""The config with every package's checks composed: shape, source catalogues, sweeps, portfolio, execution.

    load_checked_config()                  # DAG files at parse time: no strategies, Numba or Optuna
    load_checked_config(strategies=True)   # the sweep tasks: strategy names and params checked too

Every problem is reported in one ConfigError, `<file>: <key path>: ...; <key path>: ...`.
"""
from __future__ import annotations

from pathlib import Path

from include.config.loader import config_path, load_config, parse_config
from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.execution.settings import execution_problems
from include.portfolio.settings import portfolio_settings
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
    problems += synthetic_problems(config)
    try:
        portfolio_settings(config)
    except ConfigError as exc:
        problems.append(str(exc))
    problems += execution_problems(config)
    return problems


def synthetic_problems(config: PeakTradeConfig) -> list[str]:
    """A simulated SYNnn asset exists only when simulator.synthetic_assets is at least nn."""
    from include.sources.sim.catalogue import synthetic_index

    problems = []
    for index, exchange in enumerate(config.universe.exchanges):
        if exchange.source != "sim":
            continue
        key = f"universe.exchanges[{index}].symbols" if exchange.symbols else "universe.symbols"
        for i, symbol in enumerate(exchange.symbols or config.universe.symbols):
            n = synthetic_index(symbol.split("/")[0])
            if n is not None and n > config.simulator.synthetic_assets:
                problems.append(f"{key}[{i}]: {symbol!r} needs simulator.synthetic_assets >= {n} "
                                f"(it is {config.simulator.synthetic_assets})")
    return problems
