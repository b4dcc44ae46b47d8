"""The kinds of source an exchange of the config can be (sim, ccxt, file): one registry entry each.

An entry owns the kind's catalogue check (which exchange ids, symbols and timeframes it can
serve) and its builder (the ExchangeClient for an exchange of that kind). The config checks
only shape; `include.checked_config` runs every exchange's catalogue check, and
`include.sources.factory.make_client` builds through the same entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection

from include.config.loader import PROJECT_ROOT
from include.config.schema import ExchangeSpec, PeakTradeConfig
from include.errors import ConfigError, closest
from include.sources.base import ExchangeClient

# (exchange, its symbols, its timeframes, its key path) -> one message per problem, each naming its key.
CatalogueCheck = Callable[[ExchangeSpec, list[str], list[str], str], list[str]]
# (exchange, the whole config, the clock in epoch ms) -> a client.
Builder = Callable[[ExchangeSpec, PeakTradeConfig, Callable[[], int]], ExchangeClient]


@dataclass(frozen=True)
class SourceKind:
    name: str
    check: CatalogueCheck
    build: Builder


def listing_problems(exchange: ExchangeSpec, symbols: list[str], timeframes: list[str], where: str,
                     listed: Collection[str] | None, offered: Collection[str]) -> list[str]:
    """Symbols not BASE/QUOTE or not `listed` (None: unknown until the markets load), timeframes not `offered`."""
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


# ---- sim: the offline simulator's venues ----------------------------------------------------

def _check_sim(exchange: ExchangeSpec, symbols: list[str], timeframes: list[str], where: str) -> list[str]:
    from include.sources.sim.catalogue import MAX_SYNTHETIC, TIMEFRAMES, VENUES, sim_symbols

    if exchange.id not in VENUES:
        return [f"{where}.id: unknown simulated exchange {exchange.id!r}; valid: {', '.join(VENUES)}"]
    return listing_problems(exchange, symbols, timeframes, where, set(sim_symbols(MAX_SYNTHETIC)), TIMEFRAMES)


def _build_sim(exchange: ExchangeSpec, config: PeakTradeConfig, clock: Callable[[], int]) -> ExchangeClient:
    from include.sources.sim.exchange import SimExchange

    return SimExchange(exchange.id, config.simulator.seed, clock=clock,
                       synthetic_assets=config.simulator.synthetic_assets)


# ---- ccxt: real exchanges -------------------------------------------------------------------

def _check_ccxt(exchange: ExchangeSpec, symbols: list[str], timeframes: list[str], where: str) -> list[str]:
    from include.sources.ccxt_source import ccxt_timeframes  # ccxt is large: imported only when configured

    try:
        offered = ccxt_timeframes(exchange.id)
    except ConfigError as exc:
        return [f"{where}.id: {exc}"]
    # ccxt symbols are known only after load_markets (a network call): checked when landing.
    return listing_problems(exchange, symbols, timeframes, where, None, offered)


def _build_ccxt(exchange: ExchangeSpec, config: PeakTradeConfig, clock: Callable[[], int]) -> ExchangeClient:
    from include.sources.ccxt_source import make_ccxt_client

    return make_ccxt_client(exchange.id)


# ---- file: bulk history files ----------------------------------------------------------------

def _check_file(exchange: ExchangeSpec, symbols: list[str], timeframes: list[str], where: str) -> list[str]:
    # The files are the listing; the one timeframe they hold is the offer (the schema insists on one).
    return listing_problems(exchange, symbols, timeframes, where, set(exchange.files or {}), timeframes)


def _build_file(exchange: ExchangeSpec, config: PeakTradeConfig, clock: Callable[[], int]) -> ExchangeClient:
    from include.sources.file_source import FileExchange

    return FileExchange(exchange.id, exchange.files, exchange.timeframes, base_dir=PROJECT_ROOT)


KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        SourceKind("sim", _check_sim, _build_sim),
        SourceKind("ccxt", _check_ccxt, _build_ccxt),
        SourceKind("file", _check_file, _build_file),
    )
}


def source_kind(name: str) -> SourceKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"unknown source kind {name!r}; valid: {', '.join(KINDS)}") from None


def catalogue_problems(exchange: ExchangeSpec, symbols: list[str], timeframes: list[str], where: str) -> list[str]:
    """What the exchange's kind cannot serve, one message per problem naming its key under `where`."""
    return source_kind(exchange.source).check(exchange, symbols, timeframes, where)
