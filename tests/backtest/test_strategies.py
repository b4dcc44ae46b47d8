"""Each built-in strategy on a path whose signal is obvious, and its use of warehouse columns."""
from __future__ import annotations

import numpy as np

from include.strategies import get_strategy
from tests.backtest.support import candles

N = np.nan


def signals(name, frame, **params):
    return get_strategy(name).signals(frame, params)


def assert_signal(actual, expected):
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=float))


def test_sma_crossover():
    # SMA2 = 1.5 2.5 3.5 4.5 4.5 3.5 2.5 1.5 against SMA4 = 2.5 3.5 4 4 3.5 2.5 (from bar 3)
    frame = candles([1, 2, 3, 4, 5, 4, 3, 2, 1])
    assert_signal(signals("sma_crossover", frame, fast=2, slow=4), [N, N, N, 1, 1, 1, 0, 0, 0])
    assert_signal(signals("sma_crossover", frame, fast=2, slow=4, mode="long_short"), [N, N, N, 1, 1, 1, -1, -1, -1])


def test_sma_crossover_holds_its_state_when_the_averages_tie():
    frame = candles([1, 2, 3, 4, 5, 5, 5, 5, 5, 5])
    assert_signal(signals("sma_crossover", frame, fast=2, slow=4, mode="long_short"), [N, N, N] + [1] * 7)


def test_ema_crossover_and_the_warehouse_column():
    rising = candles(np.arange(1.0, 61.0))
    assert signals("sma_crossover", rising, fast=10, slow=20, kind="ema")[19:].tolist() == [1.0] * 41
    # with the warehouse's sma_10 present the strategy reads it: a column below sma_20 means "out"
    with_column = candles(np.arange(1.0, 61.0), sma_10=np.zeros(60))
    assert signals("sma_crossover", with_column, fast=10, slow=20)[19:].tolist() == [0.0] * 41


def test_rsi_mean_reversion():
    # RSI(2): bar 2 = 0 (two falls) -> long; bar 3 = 50 -> hold; bar 4 = 75 > 70 -> out (or short); 87.5 ...
    frame = candles([10, 9, 8, 9, 10, 11, 12])
    assert_signal(signals("rsi_mean_reversion", frame, window=2), [N, N, 1, 1, 0, 0, 0])
    assert_signal(signals("rsi_mean_reversion", frame, window=2, mode="long_short"), [N, N, 1, 1, -1, -1, -1])


def test_rsi_mean_reversion_reads_rsi_14():
    frame = candles(np.full(20, 100.0), rsi_14=[np.nan] * 14 + [20, 50, 80, 50, 10, 50])
    assert_signal(signals("rsi_mean_reversion", frame), [N] * 14 + [1, 1, 0, 0, 1, 1])


def test_bollinger_breakout():
    # window 5, k 1: bar 5 closes at 12 above the upper band 10.4 + 0.8; bar 9 closes at 9 below the middle
    # 11.4 and the lower band 11.4 - 1.2
    frame = candles([10, 10, 10, 10, 10, 12, 12, 12, 12, 9, 9, 9, 9, 9, 7])
    long_only = [N] * 4 + [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert_signal(signals("bollinger_breakout", frame, window=5, k=1.0), long_only)
    long_short = [N] * 4 + [0, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1]
    assert_signal(signals("bollinger_breakout", frame, window=5, k=1.0, mode="long_short"), long_short)


def test_donchian_trend():
    # highs / lows = close +/- 0.5. Bar 3: 11 > 10.5 (3-bar high) -> long; bar 7: 11 < 12 (2-bar low) -> out,
    # and < 11.5 (3-bar low) -> short.
    closes = np.array([10, 10, 10, 11, 12, 13, 12.5, 11, 10, 9, 8])
    frame = candles(closes, high=closes + 0.5, low=closes - 0.5)
    assert_signal(signals("donchian_trend", frame, entry=3, exit=2), [N, N, N, 1, 1, 1, 1, 0, 0, 0, 0])
    assert_signal(signals("donchian_trend", frame, entry=3, exit=2, mode="long_short"),
                  [N, N, N, 1, 1, 1, 1, -1, -1, -1, -1])


def regime_frame():
    """A steady rise (the SMA 10/50 crossover is long from bar 49), then regimes by hand."""
    regime = [None] * 55 + ["low"] * 5 + ["normal"] * 5 + ["high"] * 5
    return candles(np.linspace(100, 170, 70), vol_regime=regime)


def test_regime_adaptive_scales_by_the_warehouse_vol_regime():
    out = signals("regime_adaptive", regime_frame(), low_vol_scale=0.75, high_vol_scale=0.5)
    assert_signal(out, [N] * 55 + [0.75] * 5 + [1] * 5 + [0.5] * 5)
    flat_when_wild = signals("regime_adaptive", regime_frame(), high_vol_scale=0.0)
    assert_signal(flat_when_wild[55:], [1] * 10 + [0] * 5)


def test_regime_adaptive_switches_strategy_in_high_vol():
    # RSI(14) of a steady rise is 100: the mean-reversion strategy is out (0) in the high-vol bars
    out = signals("regime_adaptive", regime_frame(), high_vol_strategy="rsi_mean_reversion", high_vol_scale=1.0)
    assert_signal(out[55:], [1] * 10 + [0] * 5)


def test_regime_computed_from_closes_when_the_column_is_absent():
    rng = np.random.default_rng(7)
    moves = np.concatenate([rng.normal(0, 0.001, 600), rng.normal(0, 0.01, 40)])
    frame = candles(100 * np.exp(np.cumsum(moves)))
    out = signals("regime_adaptive", frame, strategy="rsi_mean_reversion", high_vol_scale=0.0)
    assert np.isnan(out[:519]).all() and not np.isnan(out[519:]).any()
    assert (out[-20:] == 0).all()  # the last bars are the most volatile of their 500: 'high', flat
