"""The engine against a plain bar-by-bar loop on the real candles in ../shared/data/real/."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from include.backtest import Costs, run_backtest
from include.strategies.sma_crossover import TIE
from tests.backtest.support import real_series

CAPITAL = 10_000.0
FAST, SLOW = 10, 30


def reference_backtest(frame: pd.DataFrame, fast: int, slow: int, long_short: bool):
    """SMA crossover, full equity, no costs: decide at t's close, fill at t+1's open, mark at close."""
    opens, closes, ts = frame["open"].tolist(), frame["close"].tolist(), list(frame["ts"])
    cash, units, held, pending = CAPITAL, 0.0, 0, None
    state = 0
    equity, trades, trade = [], [], None
    for t in range(len(closes)):
        if pending is not None:
            price = opens[t]
            wealth = cash + units * price
            if units != 0:
                cash += units * price
                trade |= {"exit_ts": ts[t], "exit_price": price, "pnl": units * (price - trade["entry_price"])}
                trades.append(trade)
                units = 0.0
            if pending != 0:
                units = pending * wealth / price
                cash -= units * price
                trade = {"entry_ts": ts[t], "entry_price": price, "side": "long" if pending > 0 else "short"}
            pending = None
        equity.append(cash + units * closes[t])
        if t >= slow - 1:
            fast_ma = sum(closes[t - fast + 1: t + 1]) / fast
            slow_ma = sum(closes[t - slow + 1: t + 1]) / slow
            if fast_ma > slow_ma + TIE * abs(slow_ma):
                state = 1
            elif fast_ma < slow_ma - TIE * abs(slow_ma):
                state = -1 if long_short else 0
        if state != held:
            pending = held = state
    if units != 0:
        trades.append(trade | {"exit_ts": ts[-1], "exit_price": closes[-1],
                               "pnl": units * (closes[-1] - trade["entry_price"])})
    return np.array(equity), pd.DataFrame(trades)


@pytest.mark.parametrize("venue", ["bus_usdt", "bus_usdc", "bus_usd", "kraken"])
@pytest.mark.parametrize("mode", ["long_only", "long_short"])
def test_sma_crossover_without_costs_equals_the_loop(venue, mode):
    frame = real_series()[venue]
    result = run_backtest(frame, "sma_crossover", {"fast": FAST, "slow": SLOW, "mode": mode}, Costs.zero(),
                          breaker=None, initial_capital=CAPITAL)
    equity, trades = reference_backtest(frame, FAST, SLOW, mode == "long_short")

    np.testing.assert_allclose(result.equity.to_numpy(), equity, rtol=1e-9, atol=0)
    got = result.trades
    assert len(got) == len(trades) > 50
    assert list(got["entry_ts"]) == list(trades["entry_ts"])
    assert list(got["exit_ts"]) == list(trades["exit_ts"])
    assert list(got["side"]) == list(trades["side"])
    np.testing.assert_allclose(got["entry_price"], trades["entry_price"], rtol=1e-12)
    np.testing.assert_allclose(got["exit_price"], trades["exit_price"], rtol=1e-12)
    np.testing.assert_allclose(got["pnl"], trades["pnl"], rtol=1e-9, atol=1e-9 * CAPITAL)
    assert (got["fees"] == 0).all() and (got["slippage"] == 0).all()
    assert set(got["exit_reason"].iloc[:-1]) == {"signal"}


def test_costs_follow_the_documented_formulas_on_real_trades():
    frame = real_series()["bus_usdt"]
    costs = Costs(taker_bps=10.0, slippage_bps=2.0, slippage_vol_k=0.5, vol_window=20)
    result = run_backtest(frame, "sma_crossover", {"fast": FAST, "slow": SLOW}, costs, breaker=None,
                          initial_capital=CAPITAL)
    opens, closes = frame["open"].to_numpy(), frame["close"].to_numpy()

    def slip(bar):  # 2 bps + 0.5 x sample std of the 20 simple returns ending at the bar before
        returns = [closes[k] / closes[k - 1] - 1 for k in range(bar - 20, bar)]
        return 2e-4 + 0.5 * statistics.stdev(returns)

    wealth = CAPITAL
    for trade in result.trades.iloc[:3].itertuples():
        entry, leave = trade.entry_bar, trade.exit_bar
        qty = wealth / opens[entry]  # size 1: all of the equity at the entry bar's open (flat before it)
        buy = opens[entry] * (1 + slip(entry))
        sell = opens[leave] * (1 - slip(leave))
        fees = 10e-4 * qty * (buy + sell)
        slippage = qty * (opens[entry] * slip(entry) + opens[leave] * slip(leave))
        pnl = qty * (sell - buy) - fees
        assert trade.qty == pytest.approx(qty, rel=1e-12)
        assert trade.entry_price == pytest.approx(buy, rel=1e-12)
        assert trade.exit_price == pytest.approx(sell, rel=1e-12)
        assert trade.fees == pytest.approx(fees, rel=1e-12)
        assert trade.slippage == pytest.approx(slippage, rel=1e-12)
        assert trade.pnl == pytest.approx(pnl, rel=1e-9)
        wealth = wealth - 10e-4 * qty * buy - qty * buy + qty * sell - 10e-4 * qty * sell
    final = result.equity.iloc[-1]
    assert result.trades["pnl"].sum() == pytest.approx(final - CAPITAL, rel=1e-9)
    assert result.metrics["total_fees"] == pytest.approx(result.trades["fees"].sum(), rel=1e-12)
    assert not math.isnan(result.metrics["sharpe_ratio"])
