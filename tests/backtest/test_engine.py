"""run_backtest's output: metrics from include/metrics/risk.py, accounting identities, inputs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from include.backtest import Bars, BarsError, Breaker, Costs, Exits, Sizing, run_backtest
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


def _kelly(returns, sizing):
    """sizing.py's fractional Kelly, written out again over a plain list of trade returns."""
    wins = [r for r in returns if r > 0]
    losses = [-r for r in returns if r < 0]
    if len(returns) < sizing.kelly_min_trades or not wins or not losses:
        return sizing.kelly_fallback
    p = len(wins) / len(returns)
    b = (sum(wins) / len(wins)) / (sum(losses) / len(losses))
    f = (p * b - (1 - p)) / b
    return min(sizing.kelly_fraction * f, sizing.kelly_cap) if f > 0 else sizing.kelly_fallback


def _breaker_level(events, bar):
    """The breaker level in force after bar's close: the last level change at or before it."""
    changes = events[events["bar"] <= bar]
    return int(changes["level"].iloc[-1]) if len(changes) else 0


def test_kelly_sizes_come_from_the_trades_closed_before_each_entry(result):
    """Each trade's size is decided at the close before its entry bar, from the trades closed by then.

    (On this series Kelly's f never turns positive, so the sizes are the fallback, halved while the
    breaker halves; the formula itself is pinned on hand-made returns in test_sizing.py.)
    """
    sizing, breaker = Sizing(method="kelly"), Breaker()
    trades, events = result.trades, result.events
    returns, exit_bars = trades["return"].tolist(), trades["exit_bar"].tolist()
    expected = []
    for i, entry_bar in enumerate(trades["entry_bar"].tolist()):
        decided = entry_bar - 1
        closed = [returns[k] for k in range(i) if exit_bars[k] <= decided][-sizing.kelly_window:]
        scale = breaker.halve_scale if _breaker_level(events, decided) == 2 else 1.0
        expected.append(_kelly(closed, sizing) * scale)
    assert trades["size"].tolist() == pytest.approx(expected, rel=1e-12)


def test_positions_are_the_trades_units_at_each_close(result):
    """Exposure = side * units * close / equity on every bar a trade holds, 0 elsewhere; a trade entered
    from flat buys size * equity / open units. Trades a breaker level change crossed were resized
    mid-way (their qty is the largest holding), so only their bars' bound is checked."""
    frame = real_series()["kraken"]
    close, open_ = frame["close"].to_numpy(), frame["open"].to_numpy()
    equity, positions = result.equity.to_numpy(), result.positions.to_numpy()
    level_changes = result.events["bar"].to_numpy()
    expected = np.zeros(len(close))
    resized = np.zeros(len(close), dtype=bool)
    previous_exit = -1
    for trade in result.trades.itertuples(index=False):
        held = np.arange(trade.entry_bar, trade.exit_bar + (trade.exit_reason == "open"))
        crossed = ((level_changes >= trade.entry_bar) & (level_changes < trade.exit_bar)).any()
        resized[held] = crossed
        side = 1.0 if trade.side == "long" else -1.0
        expected[held] = side * trade.qty * close[held] / equity[held]
        if previous_exit < trade.entry_bar and not crossed:
            assert trade.qty == pytest.approx(
                trade.size * equity[trade.entry_bar - 1] / open_[trade.entry_bar], rel=1e-12)
        previous_exit = trade.exit_bar
    np.testing.assert_allclose(positions[~resized], expected[~resized], rtol=1e-12, atol=0)
    assert np.abs(positions[resized]).max() <= np.abs(expected[~resized]).max()
    assert np.abs(positions).max() == pytest.approx(np.abs(expected[~resized]).max(), rel=1e-12)


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
