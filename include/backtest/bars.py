"""One series' bars as contiguous float64 arrays, prepared once and reused by every run.

A sweep calls run_backtest thousands of times on the same frame; passing a Bars
instead of the DataFrame skips the column conversion and reuses the volatility,
ATR and signal arrays already computed (a small per-instance cache). A Bars assumes
its frame is not modified after it was built.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd

from include.errors import PeakTradeError
from include.features import indicators
from include.timeframes import TimestampError, frame_timestamps, infer_timeframe, periods_per_year

PRICE_COLUMNS = ("open", "high", "low", "close")
CACHE_SIZE = 16  # arrays of len(bars) floats each: bounded so a sweep over settings cannot exhaust memory


class BarsError(PeakTradeError):
    """The frame is not one series of OHLCV bars in time order."""


class Bars:
    """Arrays of one series (open, high, low, close, ts) plus its timeframe and periods per year."""

    def __init__(self, frame: pd.DataFrame, timeframe: str | None = None):
        missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
        if missing:
            raise BarsError(f"frame lacks the price column(s) {', '.join(missing)}")
        if len(frame) < 2:
            raise BarsError(f"a backtest needs at least 2 bars; the frame has {len(frame)}")
        self.frame = frame
        try:
            self.ts = frame_timestamps(frame)
            if not self.ts.is_monotonic_increasing:
                raise BarsError("ts is not in increasing order: sort the frame by ts first")
            self.timeframe = timeframe or infer_timeframe(self.ts)
        except TimestampError as error:  # callers catch BarsError for any problem with the frame
            raise BarsError(str(error)) from None
        self.periods = periods_per_year(self.timeframe)
        self.open, self.high, self.low, self.close = (indicators.as_float(frame[c]) for c in PRICE_COLUMNS)
        self._cache: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return self.close.shape[0]

    def cached(self, key, compute):
        """compute() once per key (a hashable setting, e.g. a frozen Costs), the last CACHE_SIZE kept."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = self._cache[key] = compute()
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return value

    def return_std(self, window: int) -> np.ndarray:
        """Per-bar sample std of simple close returns over the last `window` bars (NaN in warm-up)."""
        returns = indicators.simple_returns
        return self.cached(("std", window), lambda: indicators.rolling_std(returns(self.close), window))

    def atr(self, window: int) -> np.ndarray:
        """ATR(window); the warehouse's atr_14 when the frame has it."""
        if window == 14 and "atr_14" in self.frame.columns:
            return self.cached("atr_14", lambda: indicators.as_float(self.frame["atr_14"]))
        return self.cached(("atr", window), lambda: indicators.atr(self.high, self.low, self.close, window))

    def signal(self, strategy, params: dict) -> np.ndarray:
        """The strategy's target positions for these bars (params already validated)."""
        key = ("signal", strategy.name, id(strategy.signal), tuple(sorted(params.items())))
        return self.cached(key, lambda: strategy.signals(self.frame, params, validated=True))
