"""Fixed, volatility-target and fractional-Kelly sizing with exact expected sizes."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from include.backtest import Sizing
from include.backtest.sizing import kelly_size
from tests.backtest.support import candles, run_scripted

KELLY = dict(window=50, min_trades=10, fraction=0.25, cap=0.20, fallback=0.02)


def kelly(returns, **overrides):
    args = KELLY | overrides
    r = np.asarray(returns, dtype=float)
    return kelly_size(r, r.shape[0], args["window"], args["min_trades"], args["fraction"], args["cap"],
                      args["fallback"])


def test_kelly_formula():
    # p = 0.6, b = 0.02 / 0.01 = 2: f = (0.6 * 2 - 0.4) / 2 = 0.4; a quarter of it is 0.1
    six_wins_four_losses = [0.02] * 6 + [-0.01] * 4
    assert kelly(six_wins_four_losses) == pytest.approx(0.1)
    assert kelly(six_wins_four_losses, cap=0.05) == 0.05
    assert kelly(six_wins_four_losses + [0.0] * 5) == pytest.approx(0.25 * (0.4 * 2 - 0.6) / 2)  # q counts flat trades


def test_kelly_falls_back_when_not_meaningful():
    assert kelly([0.02] * 5 + [-0.01] * 4) == 0.02            # 9 closed trades < 10
    assert kelly([0.02] * 10) == 0.02                          # no loser: b undefined
    assert kelly([-0.01] * 10) == 0.02                         # no winner
    assert kelly([0.01] * 3 + [-0.01] * 7) == 0.02             # f = (0.3 - 0.7) / 1 < 0
    assert kelly([0.01] * 5 + [-0.01] * 5) == 0.02             # f = 0


def test_kelly_sizing_in_the_engine_uses_the_closed_trades():
    """Eleven one-bar trades entered at 100 and left at 102 (win) or 99 (loss): six wins, four losses first."""
    outcomes = [102, 99, 102, 99, 102, 99, 102, 99, 102, 102, 102]
    opens = [100.0]
    for exit_price in outcomes:
        opens += [100.0, exit_price]
    target = [1, 0] * len(outcomes) + [0]  # decided at bar 2k, entered at 2k+1, left at 2k+2
    result = run_scripted(candles(opens, opens, target=target), sizing=Sizing(method="kelly"))
    sizes = result.trades["size"].tolist()
    assert len(sizes) == 11
    assert sizes[:10] == [0.02] * 10                     # fewer than 10 closed trades when each was decided
    assert sizes[10] == pytest.approx(0.1, rel=1e-9)     # Kelly from the first ten
    assert result.trades["return"].iloc[0] == pytest.approx(0.02)


def test_volatility_target_size_and_warm_up():
    closes = [100.0, 101.0, 100.0, 101.0, 100.0, 101.0]
    frame = candles(closes, target=[1] * 6)
    # returns at bars 1 and 2 are the first window of 2: known at bar 2's close, entry at bar 3's open
    std = statistics.stdev([101 / 100 - 1, 100 / 101 - 1])
    expected = 0.2 / (std * math.sqrt(525_600))
    result = run_scripted(frame, sizing=Sizing(method="vol_target", target_vol=0.2, vol_window=2, max_leverage=3))
    trade = result.trades.iloc[0]
    assert trade.entry_bar == 3
    assert trade["size"] == pytest.approx(expected, rel=1e-12)
    assert result.positions.iloc[3] == pytest.approx(expected, rel=1e-12)  # bought and marked at 101


def test_volatility_target_is_capped_at_max_leverage():
    frame = candles([100.0, 101.0, 100.0, 101.0, 100.0], target=[1] * 5)
    result = run_scripted(frame, sizing=Sizing(method="vol_target", target_vol=50.0, vol_window=2, max_leverage=1.5))
    assert result.trades["size"].iloc[0] == 1.5


def test_fixed_fraction():
    frame = candles([100.0, 100.0, 110.0, 110.0], target=[1, 1, 1, 1])
    result = run_scripted(frame, sizing=Sizing(fraction=0.25))
    assert result.trades["qty"].iloc[0] == pytest.approx(25.0)          # 0.25 * 10,000 / 100
    assert result.equity.iloc[-1] == pytest.approx(10_000 + 25 * 10)
