"""Build the ExchangeClient for an exchange declared in the config (through its kind's builder)."""
from __future__ import annotations

from typing import Callable

from include.config.schema import PeakTradeConfig
from include.sources.base import ExchangeClient
from include.sources.kinds import source_kind
from include.timeframes import utc_now_ms


def make_client(config: PeakTradeConfig, exchange_id: str, clock: Callable[[], int] = utc_now_ms) -> ExchangeClient:
    spec = config.exchange(exchange_id)
    return source_kind(spec.source).build(spec, config, clock)
