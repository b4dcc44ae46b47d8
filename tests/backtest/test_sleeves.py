"""Many series as sleeves of one account, on the real candles (series of different spans and gaps)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from include.backtest import BacktestConfigError, Costs, run_backtest, run_portfolio
from include.backtest.result import bar_returns, performance
from include.timeframes import periods_per_year
from tests.backtest.support import real_series

PARAMS = {"fast": 10, "slow": 30, "mode": "long_short"}
CAPITAL = 10_000.0


@pytest.fixture(scope="module")
def frames():
    series = real_series()
    return {"kraken": series["kraken"], "bus_usdc": series["bus_usdc"]}


def test_one_series_at_full_weight_is_the_single_backtest(frames):
    single = run_backtest(frames["kraken"], "sma_crossover", PARAMS, Costs())
    portfolio = run_portfolio({"kraken": frames["kraken"]}, "sma_crossover", PARAMS, Costs())
    pd.testing.assert_series_equal(portfolio.equity, single.equity, check_freq=False)
    assert portfolio.metrics["sharpe_ratio"] == single.metrics["sharpe_ratio"]
    np.testing.assert_array_equal(portfolio.positions["kraken"].to_numpy(), single.positions.to_numpy())


def test_equity_is_the_sum_of_sleeves_carried_forward_and_metrics_follow_it(frames):
    weights = {"kraken": 0.6, "bus_usdc": 0.3}  # 10 % stays cash
    portfolio = run_portfolio(frames, "sma_crossover", PARAMS, Costs(), weights=weights, initial_capital=CAPITAL)
    direct = {label: run_backtest(frame, "sma_crossover", PARAMS, Costs(), initial_capital=CAPITAL * weights[label])
              for label, frame in frames.items()}
    ts = portfolio.equity.index
    assert ts.is_unique and ts.is_monotonic_increasing
    assert len(ts) == len(frames["kraken"]["ts"].to_frame().merge(frames["bus_usdc"]["ts"].to_frame(), how="outer"))
    # bus_usdc starts on 1 March: before that its sleeve is its untouched capital
    before = ts[ts < frames["bus_usdc"]["ts"].iloc[0]]
    np.testing.assert_allclose(portfolio.equity[before], direct["kraken"].equity[before] + 3_000.0 + 1_000.0, rtol=1e-12)
    # a bar only kraken has (bus_usdc's last equity carried forward)
    only_kraken = ts[ts > frames["bus_usdc"]["ts"].iloc[-1]][0]
    carried = direct["bus_usdc"].equity.iloc[-1]
    assert portfolio.equity[only_kraken] == pytest.approx(direct["kraken"].equity[only_kraken] + carried + 1_000.0, rel=1e-12)
    want = performance(bar_returns(portfolio.equity.to_numpy(), CAPITAL), periods_per_year("1m"))
    assert portfolio.metrics["sharpe_ratio"] == pytest.approx(want["sharpe_ratio"], rel=1e-12)
    assert portfolio.metrics["max_drawdown"] == pytest.approx(want["max_drawdown"], rel=1e-12)
    assert portfolio.metrics["n_trades"] == sum(r.metrics["n_trades"] for r in direct.values())


def test_trades_positions_and_events_name_their_series(frames):
    portfolio = run_portfolio(frames, "sma_crossover", PARAMS, Costs())
    assert set(portfolio.trades["series"]) == {"kraken", "bus_usdc"}
    assert portfolio.trades["entry_ts"].is_monotonic_increasing
    assert len(portfolio.trades) == sum(len(r.trades) for r in portfolio.sleeves.values())
    assert list(portfolio.positions.columns) == ["kraken", "bus_usdc"]
    for label, sleeve in portfolio.sleeves.items():  # a sleeve's exposure restated on the portfolio's equity
        own = sleeve.equity.index
        np.testing.assert_allclose(portfolio.positions.loc[own, label] * portfolio.equity[own],
                                   sleeve.positions * sleeve.equity, rtol=1e-12, atol=1e-9)
    assert "series" in portfolio.events.columns


@pytest.mark.parametrize("weights, message", [
    ({"kraken": 0.5}, r"weights must name exactly the series \['kraken', 'bus_usdc'\]; unknown: none, missing: \['bus_usdc'\]"),
    ({"kraken": 0.5, "bus_usdc": 0.4, "okx": 0.1}, r"unknown: \['okx'\]"),
    ({"kraken": 0.5, "bus_usdc": -0.1}, r"weights \{'bus_usdc': -0.1\} are invalid; valid: a number > 0"),
    ({"kraken": 0.7, "bus_usdc": 0.7}, r"weights sum to 1.4; valid: at most 1"),
])
def test_bad_weights_name_the_series_and_what_is_valid(frames, weights, message):
    with pytest.raises(BacktestConfigError, match=message):
        run_portfolio(frames, "sma_crossover", PARAMS, weights=weights)


def test_mixed_timeframes_are_refused(frames):
    hourly = frames["bus_usdc"].set_index("ts").resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).reset_index()
    with pytest.raises(BacktestConfigError, match="every series must share one timeframe; got kraken 1m, hourly 1h"):
        run_portfolio({"kraken": frames["kraken"], "hourly": hourly}, "sma_crossover", PARAMS)
