"""The indicators strategies compute when a warehouse column is absent equal TA-Lib's and the warehouse's."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from include.features import indicators
from include.strategies import get_strategy
from include.timeframes import periods_per_year
from tests.backtest.support import real_series


@pytest.fixture(scope="module")
def kraken():
    frame = real_series()["kraken"].iloc[:20_000]
    return tuple(frame[c].to_numpy(dtype=float) for c in ("high", "low", "close"))


@pytest.mark.parametrize("window", [3, 14, 33])
def test_sma_ema_rsi_atr_equal_talib_bit_for_bit(kraken, window):
    talib = pytest.importorskip("talib")
    high, low, close = kraken
    np.testing.assert_array_equal(indicators.sma(close, window), talib.SMA(close, window))
    np.testing.assert_array_equal(indicators.ema(close, window), talib.EMA(close, window))
    np.testing.assert_array_equal(indicators.rsi(close, window), talib.RSI(close, window))
    np.testing.assert_array_equal(indicators.atr(high, low, close, window), talib.ATR(high, low, close, window))


def test_rolling_std_is_the_sample_std_and_exactly_zero_when_flat():
    values = np.array([1.0, 2.0, 4.0, 4.0, 4.0])
    np.testing.assert_allclose(indicators.rolling_std(values, 3),
                               [np.nan, np.nan, np.std([1, 2, 4], ddof=1), np.std([2, 4, 4], ddof=1), 0.0])
    assert indicators.rolling_std(values, 3)[-1] == 0.0


def test_rolling_std_is_nan_while_the_window_holds_a_nan():
    returns = indicators.simple_returns(np.array([100.0, 101.0, 99.0, 102.0, 102.0]))
    out = indicators.rolling_std(returns, 2)
    assert np.isnan(out[:2]).all()  # window 2 ending at bar 1 still holds bar 0's NaN return
    assert out[2] == pytest.approx(np.std(returns[1:3], ddof=1))


def test_vol_regime_from_closes_is_the_warehouse_label(kraken):
    """fct_features: rv_20 = annualised sample std of 20 log returns; percent rank among the last 500
    (share strictly below / 499); < 0.33 low, > 0.67 high. Recomputed here with pandas."""
    _, _, close = kraken
    log_returns = np.log(pd.Series(close)).diff()
    rv_20 = log_returns.rolling(20).std() * math.sqrt(periods_per_year("1m"))
    pct = (rv_20.rolling(500).rank(method="min") - 1) / 499
    expected = np.where(pct < 0.33, "low", np.where(pct > 0.67, "high", "normal")).astype(object)
    expected[pct.isna().to_numpy()] = None
    labels = indicators.vol_regime(close, "1m")
    assert (labels[:519] == None).all()  # noqa: E711 (elementwise)
    assert list(labels) == list(expected)
    assert {"low", "normal", "high"} <= set(labels[519:])


def test_regime_adaptive_without_the_column_follows_the_computed_label():
    frame = real_series()["kraken"].iloc[:3_000]
    out = get_strategy("regime_adaptive").signals(frame, {"high_vol_scale": 0.0})
    labels = indicators.vol_regime(frame["close"].to_numpy(), "1m")
    assert np.isnan(out[:519]).all()
    assert (out[519:][labels[519:] == "high"] == 0).all()
