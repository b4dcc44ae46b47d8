"""run_backtest's output: metrics from include/metrics/risk.py, accounting identities, inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from include.backtest import Bars, BarsError, Costs, Exits, Sizing, run_backtest
from include.metrics import risk
from include.strategies import Strategy, StrategyError
from tests.backtest.support import candles, real_series

PARAMS = {"fast": 10, "slow": 30, "mode": "long_short"}


@pytest.fixture(scope="module")
def result():
    frame = real_series()["kraken"]
    return run_backtest(frame, "sma_crossover", PARAMS, Costs(), sizing=Sizing(method="kelly"),
                        exits=Exits(stop_loss=0.01, trail_atr_mult=3.0))


def test_metrics_are_the_risk_module_on_per_bar_equity_returns(result):
    equity = result.equity.to_numpy()
    returns = np.concatenate([[equity[0] / 10_000 - 1], equity[1:] / equity[:-1] - 1])
    np.testing.assert_array_equal(result.returns.to_numpy(), returns)
    m = result.metrics
    assert result.timeframe == "1m"
    assert m["sharpe_ratio"] == risk.sharpe_ratio(returns, 525_600)
    assert m["max_drawdown"] == risk.max_drawdown(returns)
    assert m["annual_return"] == risk.annual_return(returns, 525_600)
    assert m["sortino_ratio"] == risk.sortino_ratio(returns, 525_600)
    assert m["final_equity"] == equity[-1]


def test_trade_accounting(result):
    trades, m = result.trades, result.metrics
    closed = trades[trades["exit_reason"] != "open"]
    assert set(trades["exit_reason"]) <= {"signal", "stop_loss", "trailing_stop", "breaker", "open"}
    assert {"stop_loss", "trailing_stop"} <= set(trades["exit_reason"])
    assert trades["pnl"].sum() == pytest.approx(result.equity.iloc[-1] - 10_000, rel=1e-9)
    assert m["n_trades"] == len(closed)
    assert m["win_rate"] == pytest.approx((closed["pnl"] > 0).mean())
    assert m["profit_factor"] == pytest.approx(closed.loc[closed["pnl"] > 0, "pnl"].sum()
                                               / -closed.loc[closed["pnl"] < 0, "pnl"].sum())
    assert m["total_fees"] == pytest.approx(trades["fees"].sum())
    assert m["total_slippage"] == pytest.approx(trades["slippage"].sum())
    assert m["exposure"] == pytest.approx((result.positions != 0).mean())
    assert (trades["entry_ts"] <= trades["exit_ts"]).all()
    assert ((trades["size"] > 0) & (trades["size"] <= 0.2)).all()  # Kelly's cap
    assert result.positions.abs().max() < 0.25


def test_bars_and_frame_give_the_same_run():
    frame = real_series()["bus_usd"].iloc[:5_000]
    bars = Bars(frame)
    a = run_backtest(frame, "donchian_trend", {"mode": "long_short"})
    b = run_backtest(bars, "donchian_trend", {"mode": "long_short"}, check_lookahead=False)
    c = run_backtest(bars, "donchian_trend", {"mode": "long_short"}, check_lookahead=False)
    pd.testing.assert_series_equal(a.equity, b.equity)
    pd.testing.assert_frame_equal(b.trades, c.trades)


def test_full_metrics_add_the_risk_metrics_columns():
    frame = real_series()["bus_usd"].iloc[:2_000]
    m = run_backtest(frame, "sma_crossover", {}, full_metrics=True).metrics
    assert set(risk.METRIC_COLUMNS) <= set(m)
    assert m["n_returns"] == 2_000


def test_inputs_are_checked():
    frame = candles(np.arange(100.0, 110.0))
    with pytest.raises(BarsError, match="lacks the price column"):
        run_backtest(frame.drop(columns="low"), "sma_crossover")
    with pytest.raises(BarsError, match="not in increasing order"):
        run_backtest(frame.iloc[::-1], "sma_crossover")
    assert Bars(frame.rename(columns={"ts": "timestamp"})).timeframe == "1m"
    hourly = frame.assign(ts=pd.date_range("2024-01-01", periods=10, freq="4h", tz="UTC"))
    assert Bars(hourly).timeframe == "4h" and Bars(hourly).periods == 2_190


def test_timestamp_problems_are_bars_errors():
    """include.timeframes' helpers raise TimestampError; a Bars reports them as a BarsError."""
    frame = candles(np.arange(100.0, 110.0))
    with pytest.raises(BarsError, match="frame has no 'ts' column"):
        Bars(frame.drop(columns="ts"))
    with pytest.raises(BarsError, match="ts is not strictly increasing"):
        Bars(pd.concat([frame.iloc[:1], frame]).reset_index(drop=True))
    uneven = frame.assign(ts=frame["ts"] + pd.to_timedelta(np.arange(10) * 500, unit="ms"))
    with pytest.raises(BarsError, match="bar step of 60500 ms is not a whole number of seconds"):
        Bars(uneven)

    too_big = Strategy(name="too_big", params=(), signal=lambda f, p: np.full(len(f), 2.0))
    with pytest.raises(StrategyError, match="'too_big' returned a target position outside"):
        run_backtest(frame, too_big)
