"""The Numba kernels behind int_indicators: warm-ups on hand-checkable series, and continuation.

Their values against TA-Lib on the real candles are checked through the warehouse
(tests/warehouse/test_features_vs_talib.py); here, series small enough to check by hand.
"""
from __future__ import annotations

import numpy as np
import pytest
import talib

from include.features.series_features import LOOKBACK, series_features
from include.features.ta_kernels import STATE_FIELDS, ta_features

FIRST_BAR = {  # the first bar each field is defined on (TA-Lib's warm-ups)
    "ret_log": 1, "sma_10": 9, "ema_10": 9, "sma_20": 19, "ema_20": 19, "close_std_20": 19,
    "sma_50": 49, "ema_50": 49, "sma_50_slope": 50, "rsi_14": 14, "atr_14": 14,
    "stoch_k": 17, "stoch_d": 17, "macd": 33, "macd_signal": 33, "macd_hist": 33,
    "rv_20": 20, "rv_60": 60, "rv_20_pctile_500": 519,
}


def test_flat_series_defines_every_field_from_its_warmup_with_exact_values():
    n = 530
    flat = np.full(n, 100.0)
    values, _ = series_features(flat, flat, flat, np.full(n, 5.0), "1m")
    for name, first in FIRST_BAR.items():
        column = values[name]
        assert np.isnan(column[:first]).all(), name
        assert not np.isnan(column[first:]).any(), name
    expected = {
        "sma_10": 100.0, "ema_50": 100.0, "close_std_20": 0.0, "sma_50_slope": 0.0,
        "rsi_14": 0.0,  # no move at all: TA-Lib's RSI is 0
        "atr_14": 0.0, "stoch_k": 0.0, "stoch_d": 0.0, "macd": 0.0, "macd_signal": 0.0,
        "rv_20": 0.0, "rv_20_pctile_500": 0.0,
    }
    for name, value in expected.items():
        assert (values[name][FIRST_BAR[name]:] == value).all(), name
    assert np.isnan(values["volume_z_20"]).all()  # zero dispersion: undefined, not 0


def test_rising_series_first_bars():
    """Close rises by 1 per bar, high = close, low = close - 1: exact means, RSI 100, ATR 1, %K 100."""
    close = 100.0 + np.arange(18)
    values, _ = series_features(close, close, close - 1, np.ones(18), "1m")
    assert values["sma_10"][9:].tolist() == [104.5 + k for k in range(9)]
    assert values["rsi_14"][14:].tolist() == [100.0] * 4
    assert values["atr_14"][14:].tolist() == [1.0] * 4
    assert values["stoch_k"][17] == values["stoch_d"][17] == 100.0
    assert np.isnan(values["stoch_k"][:17]).all()


def random_walk(n, seed=7):
    rng = np.random.default_rng(seed)
    close = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    spread = np.abs(rng.normal(0, 0.001, n))
    return close, close * (1 + spread), close * (1 - spread), rng.gamma(2.0, 3.0, n)


def test_ta_kernel_is_bit_identical_to_talib_on_a_random_walk():
    close, high, low, _ = random_walk(5_000)
    out, _ = ta_features(close, high, low)
    fields = dict(sma_10=talib.SMA(close, 10), ema_50=talib.EMA(close, 50), rsi_14=talib.RSI(close, 14),
                  atr_14=talib.ATR(high, low, close, 14), macd_signal=talib.MACD(close, 12, 26, 9)[1],
                  stoch_d=talib.STOCH(high, low, close, 14, 3, 0, 3, 0)[1])
    from include.features.ta_kernels import OUTPUT_FIELDS
    for name, reference in fields.items():
        np.testing.assert_array_equal(out[:, OUTPUT_FIELDS.index(name)], reference, err_msg=name)


@pytest.mark.parametrize("cut", [600, 1_234, 4_999])
def test_continuing_from_a_stored_state_equals_one_full_pass(cut):
    """What an incremental warehouse run does: the look-back bars, the state after bar cut-1, the new bars."""
    close, high, low, volume = random_walk(5_000)
    full, full_state = series_features(close, high, low, volume, "1h")
    _, state = series_features(close[:cut], high[:cut], low[:cut], volume[:cut], "1h")
    assert state.shape == (len(STATE_FIELDS),)
    first = cut - LOOKBACK
    rest, rest_state = series_features(close[first:], high[first:], low[first:], volume[first:], "1h",
                                       first_bar=first, start=LOOKBACK, state=state)
    for name, values in rest.items():
        np.testing.assert_array_equal(values, full[name][cut:], err_msg=name)
    np.testing.assert_array_equal(rest_state, full_state)


def test_a_state_of_the_wrong_length_is_refused():
    close, high, low, _ = random_walk(100)
    with pytest.raises(ValueError, match="17"):
        ta_features(close, high, low, 0, 50, np.zeros(3))
