"""The lookahead guard passes every built-in strategy and rejects one that reads the next close."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from include.backtest import Costs, LookaheadError, assert_no_lookahead, run_backtest
from include.backtest.lookahead import sample_cuts
from include.strategies import Param, Strategy, get_strategy, strategy_names
from tests.backtest.support import candles, real_series


def _peeks(frame, params):
    close = frame["close"]
    out = np.where(close.shift(-1) > close, 1.0, 0.0)  # tomorrow's close: lookahead
    out[: params["warmup"]] = np.nan
    return out


PEEKING = Strategy(name="peeking", params=(Param("warmup", "int", 10, low=0, high=100),), signal=_peeks)


def test_sample_cuts_spread_from_the_warm_up_to_the_last_bar():
    cuts = sample_cuts(1_000, 100)
    assert cuts[0] == 100 and cuts[-1] == 999 and len(cuts) == 20
    assert cuts == sorted(set(cuts))
    assert sample_cuts(5, 0) == [0, 1, 2, 3, 4]


def test_a_peeking_strategy_is_rejected_at_the_first_sampled_bar():
    frame = candles(np.arange(100.0, 200.0))  # always rising: the peeking signal is 1 on the full data
    message = (f"strategy 'peeking' looks ahead: its signal at bar 10 (ts {frame['ts'].iloc[10]}) "
               "is 1.0 on the full data but 0.0 on the data cut after bar 10")
    with pytest.raises(LookaheadError, match=f"^{re.escape(message)}$"):
        assert_no_lookahead(PEEKING, frame)


def test_run_backtest_runs_the_guard_unless_told_not_to():
    frame = candles(np.arange(100.0, 200.0))
    with pytest.raises(LookaheadError, match="'peeking' looks ahead: its signal at bar 20"):
        run_backtest(frame, PEEKING, {"warmup": 20}, Costs.zero())
    result = run_backtest(frame, PEEKING, {"warmup": 20}, Costs.zero(), check_lookahead=False)
    assert result.equity.iloc[-1] > 10_000  # lookahead pays, which is why it is rejected


@pytest.mark.parametrize("name", strategy_names())
@pytest.mark.parametrize("mode", ["long_only", "long_short"])
def test_every_built_in_strategy_passes(name, mode):
    frame = real_series()["kraken"].iloc[:3_000]
    strategy = get_strategy(name)
    assert_no_lookahead(strategy, frame, {"mode": mode})
    assert np.isfinite(strategy.signals(frame, {"mode": mode})[-1])


def test_built_ins_pass_with_warehouse_columns():
    frame = real_series()["bus_usdt"].iloc[:2_000].copy()
    closes = frame["close"].to_numpy()
    frame["sma_10"] = pd.Series(closes).rolling(10).mean().to_numpy()
    frame["vol_regime"] = np.where(np.arange(len(frame)) % 300 < 100, "high", "low").astype(object)
    frame.loc[frame.index[:519], "vol_regime"] = None
    for name in ("sma_crossover", "regime_adaptive"):
        assert_no_lookahead(get_strategy(name), frame)
