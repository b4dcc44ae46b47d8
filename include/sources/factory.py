"""Build the ExchangeClient for an exchange declared in the config."""
from __future__ import annotations

from typing import Callable

from include.config.loader import PROJECT_ROOT
from include.config.schema import PeakTradeConfig
from include.sources.base import ExchangeClient
from include.timeframes import utc_now_ms


def make_client(config: PeakTradeConfig, exchange_id: str, clock: Callable[[], int] = utc_now_ms) -> ExchangeClient:
    spec = config.exchange(exchange_id)
    if spec.source == "sim":
        from include.sources.sim.exchange import SimExchange

        return SimExchange(spec.id, config.simulator.seed, clock=clock)
    if spec.source == "ccxt":
        from include.sources.ccxt_source import make_ccxt_client

        return make_ccxt_client(spec.id)
    from include.sources.file_source import FileExchange

    return FileExchange(spec.id, spec.files, spec.timeframes, base_dir=PROJECT_ROOT)
