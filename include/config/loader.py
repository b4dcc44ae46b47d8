"""Load the YAML config, validate it, and report every problem in one message.

The file is `config/peak_trade.yaml` in the project unless PEAKTRADE_CONFIG
points elsewhere. A bad key, value, exchange id, symbol or timeframe stops
with `ConfigError("<file>: <key path>: <bad value> ... valid: ...")`.
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from include.config.schema import ExchangeSpec, PeakTradeConfig
from include.errors import ConfigError, closest
from include.sources.sim.catalogue import TIMEFRAMES as SIM_TIMEFRAMES
from include.sources.sim.catalogue import VENUES, sim_symbols

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "peak_trade.yaml"
CONFIG_ENV = "PEAKTRADE_CONFIG"
DATA_DIR_ENV = "PEAKTRADE_DATA_DIR"
REPORTS_DIR_ENV = "PEAKTRADE_REPORTS_DIR"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> PeakTradeConfig:
    path = Path(path) if path else config_path()
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist (set {CONFIG_ENV} to a YAML file)")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(raw, source=str(path))


def parse_config(raw: dict, source: str = "config") -> PeakTradeConfig:
    try:
        config = PeakTradeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(_describe(err) for err in exc.errors())) from None
    problems = []
    for index, exchange in enumerate(config.universe.exchanges):
        problems += _catalogue_problems(exchange, f"universe.exchanges[{index}]", config)
    problems += _sweep_problems(config)
    if problems:
        raise ConfigError(f"{source}: " + "; ".join(problems))
    return config


def sweep_specs(config: PeakTradeConfig) -> dict:
    """The config's sweeps as validated SweepSpecs, by name (parse_config has checked them)."""
    from include.sweeps.spec import parse_spec

    return {raw["name"]: parse_spec(raw) for raw in config.sweeps}


def _sweep_problems(config: PeakTradeConfig) -> list[str]:
    """Each sweep is a valid spec whose series the universe declares at the sweep's timeframe."""
    if not config.sweeps:
        return []
    from include.sweeps.spec import parse_spec

    declared = {(s.exchange, s.symbol, s.timeframe) for s in config.series()}
    problems, names = [], set()
    for index, raw in enumerate(config.sweeps):
        where = f"sweeps[{index}]"
        try:
            spec = parse_spec(raw, source=where)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if spec.name in names:
            problems.append(f"{where}.name: {spec.name!r} is used by an earlier sweep; names must be unique")
        names.add(spec.name)
        for k, ref in enumerate(spec.universe):
            if (ref.exchange, ref.symbol, spec.timeframe) not in declared:
                problems.append(
                    f"{where}.universe[{k}]: {ref.exchange} {ref.symbol} {spec.timeframe} is not in the universe; "
                    f"declared: {', '.join(sorted(f'{e} {s} {t}' for e, s, t in declared))}"
                )
    return problems


def data_dir(config: PeakTradeConfig) -> Path:
    """Absolute data directory: PEAKTRADE_DATA_DIR, else config data_dir (relative to the project)."""
    path = Path(os.environ.get(DATA_DIR_ENV) or config.data_dir)
    return path if path.is_absolute() else PROJECT_ROOT / path


def reports_dir(config: PeakTradeConfig) -> Path:
    """Absolute reports directory: PEAKTRADE_REPORTS_DIR, else config reports.dir (relative to the project)."""
    path = Path(os.environ.get(REPORTS_DIR_ENV) or config.reports.dir)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _describe(error: dict) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "(top level)"
    where = where.replace(".[", "[")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key (check its spelling)"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    return f"{where}: {error['input']!r} is invalid: {error['msg']}"


def _catalogue_problems(exchange: ExchangeSpec, where: str, config: PeakTradeConfig) -> list[str]:
    """Exchange ids, symbols and timeframes that the source cannot serve."""
    symbols = exchange.symbols or config.universe.symbols
    timeframes = exchange.timeframes or config.universe.timeframes
    if exchange.source == "sim":
        if exchange.id not in VENUES:
            return [f"{where}.id: unknown simulated exchange {exchange.id!r}; valid: {', '.join(VENUES)}"]
        listed, offered = set(sim_symbols()), SIM_TIMEFRAMES
    elif exchange.source == "ccxt":
        from include.sources.ccxt_source import ccxt_timeframes

        try:
            offered = ccxt_timeframes(exchange.id)
        except ConfigError as exc:
            return [f"{where}.id: {exc}"]
        listed = None  # ccxt symbols are known only after load_markets; checked when landing
    else:
        listed, offered = set(exchange.files or {}), timeframes
    # Name the key the value came from: the exchange's own list or the universe default.
    symbols_key = f"{where}.symbols" if exchange.symbols else "universe.symbols"
    timeframes_key = f"{where}.timeframes" if exchange.timeframes else "universe.timeframes"
    problems = []
    for i, symbol in enumerate(symbols):
        if "/" not in symbol:
            problems.append(f"{symbols_key}[{i}]: {symbol!r} is not a unified BASE/QUOTE symbol like BTC/USDT")
        elif listed is not None and symbol not in listed:
            problems.append(
                f"{symbols_key}[{i}]: {symbol!r} is not listed on exchange {exchange.id!r}; {closest(symbol, listed)}"
            )
    for i, tf in enumerate(timeframes):
        if tf not in offered:
            problems.append(
                f"{timeframes_key}[{i}]: {tf!r} is not offered by exchange {exchange.id!r}; valid: {', '.join(offered)}"
            )
    return problems
