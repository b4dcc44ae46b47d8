"""Fees and slippage on a hand-made path: the numbers of costs.py's formulas, worked by hand."""
from __future__ import annotations

import math

import pytest

from include.backtest import Costs
from tests.backtest.support import candles, run_scripted

# Enter long at bar 1's open (100), leave at bar 4's open (110); 100 units of 10,000.
OPENS = [100, 100, 105, 108, 110, 110]
CLOSES = [100, 104, 107, 109, 110, 111]
TARGET = [1, 1, 1, 0, 0, 0]


def test_taker_fee_and_fixed_slippage():
    frame = candles(CLOSES, OPENS, target=TARGET)
    result = run_scripted(frame, Costs(taker_bps=10, maker_bps=2, slippage_bps=10, slippage_vol_k=0))
    trade = result.trades.iloc[0]
    assert trade.entry_price == pytest.approx(100.1)        # 100 * (1 + 0.001)
    assert trade.exit_price == pytest.approx(109.89)        # 110 * (1 - 0.001)
    assert trade.qty == pytest.approx(100.0)
    assert trade.fees == pytest.approx(10.01 + 10.989)      # 0.001 * 100 * 100.1 + 0.001 * 100 * 109.89
    assert trade.slippage == pytest.approx(10.0 + 11.0)     # 100 * 100 * 0.001 + 100 * 110 * 0.001
    assert trade.pnl == pytest.approx(958.001)              # 100 * (109.89 - 100.1) - 20.999
    assert result.equity.iloc[1] == pytest.approx(10_000 - 10_010 - 10.01 + 100 * 104)
    assert result.equity.iloc[-1] == pytest.approx(10_958.001)
    assert result.metrics["total_fees"] == pytest.approx(20.999)
    # traded notional at the reference price / equity: 10,000 / 10,000, then 11,000 / (11,000 - 20.01 cash owed)
    assert result.metrics["turnover"] == pytest.approx(1.0 + 11_000 / (11_000 - 20.01))


def test_maker_fee_side():
    frame = candles(CLOSES, OPENS, target=TARGET)
    result = run_scripted(frame, Costs(taker_bps=10, maker_bps=2, fee_side="maker", slippage_bps=0, slippage_vol_k=0))
    trade = result.trades.iloc[0]
    assert trade.fees == pytest.approx(0.0002 * 100 * (100 + 110))
    assert trade.pnl == pytest.approx(1000 - 4.2)


def test_volatility_scaled_slippage_uses_the_previous_bars():
    # returns +10 %, -10 %: sample std of the two = sqrt(0.02); known at bar 2's close, used at bar 3's open.
    frame = candles([100, 110, 99, 100, 100], [100, 100, 110, 100, 100], target=[0, 0, 1, 1, 1])
    costs = Costs(taker_bps=0, slippage_bps=0, slippage_vol_k=0.5, vol_window=2)
    trade = run_scripted(frame, costs).trades.iloc[0]
    assert trade.entry_bar == 3
    assert trade.entry_price == pytest.approx(100 * (1 + 0.5 * math.sqrt(0.02)), rel=1e-12)
