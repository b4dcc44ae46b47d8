"""SimExchange: the simulator behind the same interface as a ccxt exchange."""
from __future__ import annotations

from typing import Callable

import ccxt
import numpy as np

from include.errors import closest
from include.sources.sim.catalogue import TIMEFRAMES, VENUES, market, sim_symbols
from include.sources.sim.market_model import ANCHOR_DAY, aggregate, venue_day
from include.timeframes import DAY_MS, timeframe_ms, utc_now_ms

MAX_LIMIT = 5_000  # rows per answer, like a real exchange's page size cap


class SimExchange:
    """An offline exchange quoting the simulated market; deterministic from `seed`.

    Like a real venue it only knows the past: candles after `clock()` do not
    exist, and the newest candle it returns may still be forming.
    """

    def __init__(self, exchange_id: str, seed: int, clock: Callable[[], int] = utc_now_ms, synthetic_assets: int = 0):
        if exchange_id not in VENUES:
            raise ccxt.ExchangeError(f"unknown simulated exchange {exchange_id!r}; {closest(exchange_id, VENUES)}")
        self.id = exchange_id
        self.seed = seed
        self.synthetic_assets = synthetic_assets
        self.clock = clock
        self.timeframes = {tf: tf for tf in TIMEFRAMES}
        self.markets = None

    def load_markets(self, reload: bool = False) -> dict:
        """ccxt market structures (precision, limits.amount.min, limits.cost.min) of every simulated symbol."""
        if self.markets is None or reload:
            self.markets = {symbol: market(symbol) for symbol in sim_symbols(self.synthetic_assets)}
        return self.markets

    @property
    def symbols(self) -> list[str]:
        return list(self.load_markets())

    def fetch_ohlcv(self, symbol: str, timeframe: str = "1m", since: int | None = None, limit: int | None = None):
        """Candles with open time >= since, oldest first (numpy rows [ts, o, h, l, c, v])."""
        if symbol not in self.load_markets():
            raise ccxt.BadSymbol(f"{self.id} does not have market symbol {symbol}")
        if timeframe not in self.timeframes:
            raise ccxt.BadRequest(f"{self.id} does not support timeframe {timeframe}")
        step = timeframe_ms(timeframe)
        limit = min(limit or 1000, MAX_LIMIT)
        now = self.clock()
        since = now - limit * step if since is None else int(since)
        start = max(since - since % step, ANCHOR_DAY * DAY_MS)
        stop = min(start + limit * step, now + 1)  # the forming candle opens at or before now
        if stop <= start:
            return np.empty((0, 6))
        days = range(start // DAY_MS, (stop - 1) // DAY_MS + 1)
        minutes = np.concatenate([venue_day(self.seed, self.id, symbol, d) for d in days])
        candles = aggregate(minutes, step)
        keep = (candles[:, 0] >= max(since, start)) & (candles[:, 0] < stop)
        return candles[keep][:limit]
