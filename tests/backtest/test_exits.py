"""Stop-loss, take-profit and the ATR trailing stop on hand-made paths (zero costs, 10,000 = 100 units at 100)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from include.backtest import Exits
from include.backtest.exits import trail_distance, update_trail
from tests.backtest.support import candles, run_scripted

OPENS = [100, 100, 100, 99, 97, 96, 100, 100]
HIGHS = [100, 101, 101, 100, 98, 97, 101, 101]
LOWS = [100, 99, 98, 94, 96, 95, 99, 99]
CLOSES = [100, 100, 99, 97, 96, 96, 100, 100]
LONG = [1, 1, 1, 1, 1, 0, 1, 1]


def path(**changes):
    columns = {"open_": OPENS, "high": HIGHS, "low": LOWS, "close": CLOSES, "target": LONG}
    for name, (bar, value) in changes.items():
        columns[name] = list(columns[name])
        columns[name][bar] = value
    return candles(**columns)


def test_stop_loss_fills_at_the_stop_and_waits_for_a_new_signal():
    result = run_scripted(path(), exits=Exits(stop_loss=0.05))
    first, second = result.trades.iloc[0], result.trades.iloc[1]
    assert (first.entry_bar, first.exit_bar, first.exit_reason) == (1, 3, "stop_loss")
    assert first.exit_price == 95.0 and first.pnl == pytest.approx(-500.0)
    # the target stays 1 on bars 3-4: no re-entry until it changes (0 at bar 5, 1 again at bar 6)
    assert result.positions.iloc[3:7].tolist() == [0, 0, 0, 0]
    assert (second.entry_bar, second.exit_reason) == (7, "open")


def test_a_gap_through_the_stop_fills_at_the_open():
    trade = run_scripted(path(open_=(3, 93), high=(3, 94), low=(3, 92)), exits=Exits(stop_loss=0.05)).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (3, 93.0, "stop_loss")


def test_take_profit_at_the_target_or_the_gapped_open():
    exits = Exits(take_profit=0.10)
    trade = run_scripted(path(high=(2, 111)), exits=exits).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (2, pytest.approx(110.0), "take_profit")
    trade = run_scripted(path(open_=(2, 112), high=(2, 113)), exits=exits).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price) == (2, 112.0)


def test_stop_wins_when_stop_and_target_fall_in_one_bar():
    trade = run_scripted(path(high=(3, 111)), exits=Exits(stop_loss=0.05, take_profit=0.10)).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (3, 95.0, "stop_loss")


def test_short_stop_loss():
    frame = candles([100, 100, 103, 100], [100, 100, 100, 103], high=[100, 101, 106, 103],
                    low=[100, 99, 99, 99], target=[-1, -1, -1, -1])
    trade = run_scripted(frame, exits=Exits(stop_loss=0.05)).trades.iloc[0]
    assert (trade.side, trade.exit_bar, trade.exit_price) == ("short", 2, 105.0)
    assert trade.pnl == pytest.approx(-500.0)


TRAIL = dict(trail_atr_mult=2.0, trail_min_pct=0.01, trail_max_pct=0.05, lock_trigger=0.03, lock_profit=0.01)


def trailing_path():
    """Long from bar 1's open at 100. Stop after each close (ATR x 2 within [1 %, 5 %] of the best price):
    armed 100 - 2 = 98 (ATR 1 before entry); bar 1 best 101 -> 99; bar 2 best 102, ATR 0.2 -> 0.4 is below
    the 1 % floor -> 102 - 1.02 = 100.98; bar 3 best 103, ATR 5 -> 10 capped at 5 % -> 97.85 (a stop never
    loosens, stays 100.98), and best 103 is 3 % up -> the stop locks 1 % profit: 101; bar 4's low 100.5 hits it."""
    return candles(
        close=[100, 100.5, 101.5, 102.5, 101, 101],
        open_=[100, 100, 100.5, 101.5, 102, 101],
        high=[100, 101, 102, 103, 102.5, 101],
        low=[100, 99.5, 100, 101.5, 100.5, 101],
        atr_14=[1, 1, 0.2, 5, 1, 1],
        target=[1] * 6,
    )


def test_atr_trailing_stop_with_floor_and_profit_lock():
    trade = run_scripted(trailing_path(), exits=Exits(**TRAIL)).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_reason) == (4, "trailing_stop")
    assert trade.exit_price == pytest.approx(101.0)
    assert trade.pnl == pytest.approx(100.0)


def test_atr_trailing_stop_without_the_lock_sits_on_the_floor():
    trade = run_scripted(trailing_path(), exits=Exits(**TRAIL | {"lock_trigger": 0.5})).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price) == (4, pytest.approx(100.98))


def test_atr_trailing_stop_is_capped_at_the_max_distance():
    # ATR 10 x 2 = 20 is capped at 5 % of the best price (100): the stop is 95, hit by bar 2's low.
    frame = candles([100, 99, 96, 96], [100, 100, 99, 96], high=[100, 100, 99, 96], low=[100, 96, 94.9, 96],
                    atr_14=[10.0] * 4, target=[1] * 4)
    trade = run_scripted(frame, exits=Exits(**TRAIL)).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price) == (2, 95.0)


def test_short_trailing_stop():
    # short at 100, ATR 1 -> stop 102; bar 1's low 99 -> 99 + 2 = 101; bar 2's high reaches it.
    frame = candles([100, 99.5, 100.5, 100], [100, 100, 99.5, 100.5], high=[100, 100.2, 101.5, 100.5],
                    low=[100, 99, 99.5, 100], atr_14=[1.0] * 4, target=[-1] * 4)
    trade = run_scripted(frame, exits=Exits(**TRAIL)).trades.iloc[0]
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (2, 101.0, "trailing_stop")
    assert trade.pnl == pytest.approx(-100.0)


def test_trail_functions():
    assert trail_distance(100.0, 1.0, 2.0, 0.01, 0.05) == 2.0
    assert trail_distance(100.0, 0.1, 2.0, 0.01, 0.05) == 1.0
    assert trail_distance(100.0, 9.0, 2.0, 0.01, 0.05) == 5.0
    assert trail_distance(100.0, math.nan, 2.0, 0.01, 0.05) == 5.0
    assert update_trail(1.0, 97.0, 100.0, 100.0, 5.0, 2.0, 0.01, 0.05, 0.03, 0.01) == 97.0  # never loosens
    assert update_trail(1.0, np.nan, 104.0, 100.0, 0.1, 2.0, 0.01, 0.05, 0.03, 0.01) == pytest.approx(102.96)
    assert update_trail(1.0, np.nan, 104.0, 100.0, 3.0, 2.0, 0.01, 0.05, 0.03, 0.01) == pytest.approx(101.0)
    assert update_trail(-1.0, np.nan, 96.0, 100.0, 3.0, 2.0, 0.01, 0.05, 0.03, 0.01) == pytest.approx(99.0)
