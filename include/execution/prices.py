"""The paper desk's prices: the latest validated candle per symbol of the desk's venue, from data/raw.

Reference (arrival) price: the OPEN of the newest validated candle of the smallest
timeframe landed for the symbol. It is what the paper broker fills a market order at
(moved by the backtester's slippage fraction), and what the desk values positions,
sizes targets and measures slippage with, so one rebalance uses one price per symbol.
The candle's known_std is the per-bar std of the vol_window simple close returns known
at the previous close: the backtester's slippage input (include/backtest/costs.py).
"""
from __future__ import annotations

import math

from include.errors import PeakTradeError
from include.execution.paper_broker import Candle
from include.features.indicators import rolling_std, simple_returns
from include.landing.store import period_file, read_candles, stored_periods
from include.series import Series
from include.timeframes import timeframe_ms


class NoPrice(PeakTradeError):
    """No validated candle for a symbol the desk must price."""


def latest_candle(raw, venue: str, symbol: str, timeframes, vol_window: int = 20) -> tuple[Candle, str]:
    """(the newest validated candle, its timeframe) of the smallest timeframe with any landed candle."""
    for timeframe in sorted(timeframes, key=timeframe_ms):
        series = Series(exchange=venue, symbol=symbol, timeframe=timeframe)
        periods = stored_periods(raw, series)
        if not periods:
            continue
        # the last two periods: the newest may hold only its first candles, too few for the volatility window
        frames = [read_candles(period_file(raw, series, period)) for period in periods[-2:]]
        rows = [f for f in frames if f is not None and len(f)]
        if not rows:
            continue
        import pandas as pd

        frame = pd.concat(rows, ignore_index=True).sort_values("timestamp")
        last = frame.iloc[-1]
        # the backtester's own volatility (include.backtest.bars.Bars.return_std) at the previous close
        std = rolling_std(simple_returns(frame["close"].to_numpy(dtype="float64")), vol_window)
        known = float(std[-2]) if len(std) >= 2 else math.nan
        return Candle(int(last["timestamp"].value // 1_000_000), float(last["open"]), float(last["high"]),
                      float(last["low"]), float(last["close"]), known), timeframe
    raise NoPrice(f"no validated candle of {symbol} on {venue} in {raw} (timeframes {', '.join(timeframes)}); "
                  f"land it first (market_data_ingest) or remove it from execution.symbols")


def latest_candles(raw, venue: str, symbols, timeframes, vol_window: int = 20) -> dict[str, Candle]:
    return {symbol: latest_candle(raw, venue, symbol, timeframes, vol_window)[0] for symbol in symbols}
