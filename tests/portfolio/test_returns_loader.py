"""load_daily_returns against a fct_daily_returns export built here from the real candles.

No mart exporting per-symbol daily returns exists yet: the file is written as the
export is expected to look (include.portfolio.returns.DAILY_RETURNS_COLUMNS).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from include.portfolio import DAILY_RETURNS_COLUMNS, PortfolioInputError, load_daily_returns
from tests.portfolio.conftest import daily_closes


@pytest.fixture
def exports(tmp_path, real_frames):
    """The real series as fct_daily_returns rows: Binance.US quotes as symbols on one venue, Kraken on its own."""
    rows = []
    for series, frame in real_frames.items():
        exchange, symbol = ("kraken", "BTC/USDC") if series.exchange == "kraken" else (
            "binanceus", {"bus_usdt": "BTC/USDT", "bus_usdc": "BTC/USDC", "bus_usd": "BTC/USD"}[series.exchange])
        closes = daily_closes(frame)
        days = closes.index.to_series()
        rows.append(pd.DataFrame({
            "exchange": exchange, "symbol": symbol, "trade_date": days.dt.date.to_numpy(),
            "daily_return": (closes / closes.shift(1) - 1).to_numpy(),
            "days_spanned": days.diff().dt.days.to_numpy(),
        }))
    frame = pd.concat(rows, ignore_index=True)
    # a gap: drop 2023-03-10 for BTC/USDT, so 03-11's return spans 2 days
    frame = frame[~((frame["symbol"] == "BTC/USDT") & (frame["trade_date"] == date(2023, 3, 10)))]
    gap = (frame["symbol"] == "BTC/USDT") & (frame["trade_date"] == date(2023, 3, 11))
    frame.loc[gap, "days_spanned"] = 2
    frame = frame.astype({"days_spanned": "Int64"})
    assert list(frame.columns) == list(DAILY_RETURNS_COLUMNS)
    frame.to_parquet(tmp_path / "fct_daily_returns.parquet", index=False)
    return tmp_path, frame


def test_loads_common_one_day_returns_within_the_lookback(exports):
    folder, frame = exports
    returns = load_daily_returns(folder, ["BTC/USDT", "BTC/USD"], lookback_days=10, exchange="binanceus")
    assert list(returns.columns) == ["BTC/USDT", "BTC/USD"]
    assert returns.index.max() == pd.Timestamp("2023-03-21") and returns.index.min() == pd.Timestamp("2023-03-12")
    full = load_daily_returns(folder, ["BTC/USDT", "BTC/USD"], lookback_days=365, exchange="binanceus")
    # 20 one-day returns from 03-02; 03-10 is missing and 03-11 spans two days: both dropped, never filled
    assert len(full) == 18 and pd.Timestamp("2023-03-10") not in full.index and pd.Timestamp("2023-03-11") not in full.index
    expected = frame[(frame["symbol"] == "BTC/USD") & (frame["trade_date"] == date(2023, 3, 15))]["daily_return"].item()
    assert full.loc["2023-03-15", "BTC/USD"] == expected
    assert np.isfinite(full.to_numpy()).all()


def test_end_moves_the_window(exports):
    folder, _ = exports
    returns = load_daily_returns(folder, ["BTC/USDC"], lookback_days=30, exchange="kraken", end=date(2023, 2, 28))
    assert returns.index.max() == pd.Timestamp("2023-02-28") and returns.index.min() > pd.Timestamp("2023-01-29")


def test_errors_name_the_problem(exports, tmp_path_factory):
    folder, _ = exports
    with pytest.raises(PortfolioInputError, match=r"'BTC/USDC' is quoted on \['binanceus', 'kraken'\]; pass exchange="):
        load_daily_returns(folder, ["BTC/USDC"], lookback_days=30)
    with pytest.raises(PortfolioInputError, match=r"symbol 'ETH/USDT' has no daily returns on 'binanceus'.*did you mean BTC/USDT"):
        load_daily_returns(folder, ["ETH/USDT"], lookback_days=30, exchange="binanceus")
    with pytest.raises(PortfolioInputError, match=r"exchange 'binance' is not in fct_daily_returns.parquet; did you mean binanceus"):
        load_daily_returns(folder, ["BTC/USDT"], lookback_days=30, exchange="binance")
    with pytest.raises(PortfolioInputError, match=r"only 0 day\(s\) in the 2 days to 2023-03-11.*'BTC/USDT' with 0\); at least 2"):
        load_daily_returns(folder, ["BTC/USDT"], lookback_days=2, exchange="binanceus", end=date(2023, 3, 11))
    empty = tmp_path_factory.mktemp("no-export")
    with pytest.raises(PortfolioInputError, match=r"no daily-returns export at .*fct_daily_returns.parquet; the warehouse must export"):
        load_daily_returns(empty, ["BTC/USDT"], lookback_days=30)


def test_loaded_returns_feed_the_optimiser(exports):
    from include.portfolio import PortfolioSettings, optimise

    folder, _ = exports
    returns = load_daily_returns(folder, ["BTC/USDT", "BTC/USDC", "BTC/USD"], lookback_days=30, exchange="binanceus")
    result = optimise(returns, PortfolioSettings(method="risk_parity", cash_buffer=0.1))
    assert result.ok and result.weights.sum() == pytest.approx(0.9)
