"""A Binance spot venue on loopback HTTP for the order path's tests (unmodified ccxt.binance as client)."""
from tests.emulator.faults import Fault, FaultPlan
from tests.emulator.markets import DEFAULT_MARKETS, MarketSpec
from tests.emulator.server import Emulator, binance_client, running_emulator

__all__ = ["DEFAULT_MARKETS", "Emulator", "Fault", "FaultPlan", "MarketSpec", "binance_client",
           "running_emulator"]
