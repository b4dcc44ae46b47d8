"""Small hand-made price paths and the real candles, as frames the engine takes."""
from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from include.backtest import Costs, run_backtest
from include.strategies import Strategy

START = pd.Timestamp("2024-01-01", tz="UTC")


def candles(close, open_=None, high=None, low=None, **columns) -> pd.DataFrame:
    """1m bars; open defaults to the close, high/low to max/min(open, close)."""
    close = np.asarray(close, dtype=float)
    open_ = close.copy() if open_ is None else np.asarray(open_, dtype=float)
    high = np.maximum(open_, close) if high is None else np.asarray(high, dtype=float)
    low = np.minimum(open_, close) if low is None else np.asarray(low, dtype=float)
    frame = pd.DataFrame({
        "ts": pd.date_range(START, periods=len(close), freq="1min"),
        "open": open_, "high": high, "low": low, "close": close, "volume": 1.0,
    })
    for name, values in columns.items():
        frame[name] = values
    return frame


def _scripted(frame, params):
    return frame["target"].to_numpy(dtype=float)


# The target position is read from the frame's `target` column: engine tests script it bar by bar.
SCRIPTED = Strategy(name="scripted", params=(), signal=_scripted)


def run_scripted(frame, costs=None, **kwargs):
    """Backtest the `target` column; zero costs and no breaker unless given."""
    kwargs.setdefault("breaker", None)
    return run_backtest(frame, SCRIPTED, {}, costs or Costs.zero(), **kwargs)


@cache
def real_series() -> dict[str, pd.DataFrame]:
    """The real candles, keyed by venue, with `ts` as the engine expects."""
    from tests.warehouse.conftest import real_candles

    return {series.exchange: frame.rename(columns={"timestamp": "ts"}) for series, frame in real_candles().items()}

