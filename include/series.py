"""Series: one (exchange, symbol, timeframe) candle series, the domain's unit of landing and validation."""
from __future__ import annotations

from include.strict import Strict


class Series(Strict):
    """One candle series: the unit of landing and validation."""

    exchange: str
    symbol: str
    timeframe: str

    @property
    def label(self) -> str:
        return f"{self.exchange} {self.symbol} {self.timeframe}"
