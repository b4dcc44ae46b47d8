"""The one exchange interface every candle source presents.

It is the subset of ccxt's unified API that ingestion uses, so a real ccxt
exchange object satisfies it as-is, and the simulator and the file importer
implement the same methods. Ingestion code (`paging.fetch_candles`) therefore
runs unchanged against all three.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from include.errors import UnknownSymbolError, UnsupportedTimeframeError, closest

# Columns of one candle row, in ccxt's order.
OHLCV_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


class ExchangeClient(Protocol):
    """What ingestion needs from an exchange (ccxt names and semantics)."""

    id: str
    timeframes: dict[str, Any]

    def load_markets(self, reload: bool = False) -> dict[str, Any]: ...

    def fetch_ohlcv(
        self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None
    ) -> Sequence[Sequence[float]]:
        """Candles with open time >= since, oldest first, at most `limit` rows.

        Rows are [timestamp_ms, open, high, low, close, volume]; the newest
        row may be the still-forming candle, as on a real exchange.
        """
        ...


def check_listing(client: ExchangeClient, symbol: str, timeframe: str) -> None:
    """Fail with one clear message if the exchange does not list symbol or timeframe."""
    markets = client.load_markets()
    if symbol not in markets:
        raise UnknownSymbolError(
            f"symbol {symbol!r} is not listed on exchange {client.id!r}; {closest(symbol, markets)}"
        )
    if timeframe not in (client.timeframes or {}):
        raise UnsupportedTimeframeError(
            f"timeframe {timeframe!r} is not offered by exchange {client.id!r}; "
            f"valid: {', '.join(client.timeframes or {})}"
        )
