"""The shared-cash portfolio backtest against a plain Python loop on real candles, the single-asset
engine, and the account-level circuit breaker."""
from __future__ import annotations

import math
import statistics
from functools import cache

import numpy as np
import pandas as pd
import pytest

from include.backtest import Breaker, Costs, run_backtest
from include.backtest.config import BacktestConfigError
from include.backtest.portfolio import Lot, Rebalance, run_shared_cash
from include.strategies import get_strategy
from tests.backtest.support import SCRIPTED, candles, real_series

CAPITAL = 10_000.0
BINANCE = ("bus_usdt", "bus_usdc", "bus_usd")
PARAMS = {"fast": 5, "slow": 20}


@cache
def hourly() -> dict[str, pd.DataFrame]:
    """The Binance US BTC 1m candles resampled to 1h."""
    out = {}
    for venue in BINANCE:
        frame = real_series()[venue].set_index("ts")
        bars = frame.resample("1h").agg({"open": "first", "high": "max", "low": "min", "close": "last",
                                         "volume": "sum"})
        out[venue] = bars.dropna().reset_index()
    return out


def reference(frames, signals, costs, every, drift, lots, brk, halt_bars):
    """Plain loop: decide at t's close, fill at t+1's open (reductions first), mark at close."""
    assets = list(frames)
    n = len(frames[assets[0]])
    opens = {a: frames[a]["open"].tolist() for a in assets}
    closes = {a: frames[a]["close"].tolist() for a in assets}
    fee_rate = costs.taker_bps / 1e4

    def slip(a, t):
        known = 0.0
        if t >= 1 and t - 1 >= costs.vol_window:
            c = closes[a][t - 1 - costs.vol_window: t]
            known = statistics.stdev([c[i + 1] / c[i] - 1 for i in range(costs.vol_window)])
        return costs.slippage_bps / 1e4 + costs.slippage_vol_k * known

    def floor_lot(amount, a):
        step, = lots[a]
        return math.floor(amount / step * (1 + 1e-12)) * step

    cash, units = CAPITAL, dict.fromkeys(assets, 0.0)
    order, pending, scale, last = None, False, 1.0, dict.fromkeys(assets, 0.0)
    level, peak, halt_start, halted = 0, CAPITAL, 0, False
    equity, cash_path, fills = [], [], []
    for t in range(n):
        if pending:
            value = cash + sum(units[a] * opens[a][t] for a in assets)
            legs = {"reduce": {}, "increase": {}}
            for a in assets:
                target = order[a] * value / opens[a][t]
                delta = target - units[a]
                if units[a] != 0 and (delta > 0) != (units[a] > 0):
                    cut = min(abs(delta), abs(units[a])) * (1 if delta > 0 else -1)
                    legs["reduce"][a], legs["increase"][a] = cut, delta - cut
                else:
                    legs["increase"][a] = delta
            for leg in ("reduce", "increase"):
                for a in assets:
                    raw = legs[leg].get(a, 0.0)
                    amount = floor_lot(abs(raw), a)
                    if amount <= 0 or amount * opens[a][t] < 10.0:  # min cost 10
                        continue
                    dq = amount if raw > 0 else -amount
                    s = slip(a, t)
                    price = opens[a][t] * (1 + s) if dq > 0 else opens[a][t] * (1 - s)
                    fee = fee_rate * amount * price
                    cash -= dq * price + fee
                    units[a] += dq
                    fills.append((t, a, leg, dq, price, fee))
            pending = False
        value = cash + sum(units[a] * closes[a][t] for a in assets)
        equity.append(value)
        cash_path.append(cash)
        # the breaker on the account
        previous = level
        peak = max(peak, value)
        if previous == 3:
            if t - halt_start >= halt_bars:
                level, peak = 0, value
        else:
            drawdown = 1 - value / peak
            level = 3 if drawdown >= brk.halt else 2 if drawdown >= brk.halve else 1 if drawdown >= brk.warn else 0
            if level == 3:
                halt_start = t
        if level == 3:
            if not halted:
                halted, pending, order = True, True, dict.fromkeys(assets, 0.0)
            continue
        resumed, halted = halted, False
        new_scale = brk.halve_scale if level == 2 else 1.0
        active = sum(1 for a in assets if signals[a][t] != 0) or 1
        weights = {a: signals[a][t] / active for a in assets}
        changed = any(weights[a] != last[a] for a in assets)
        worst = max(abs(weights[a] * new_scale - (units[a] * closes[a][t] / value if units[a] else 0.0))
                    for a in assets)
        last = weights
        if resumed or new_scale != scale or (t + 1) % every == 0 or changed or worst > drift:
            scale = new_scale
            order = {a: weights[a] * scale for a in assets}
            pending = True
    return np.array(equity), np.array(cash_path), fills


def test_equals_a_plain_loop_on_real_hourly_candles():
    frames = hourly()
    assert all(len(f) == 504 for f in frames.values()) and len({tuple(f["ts"]) for f in frames.values()}) == 1
    strategy = get_strategy("sma_crossover")
    signals = {a: np.nan_to_num(strategy.signals(f, PARAMS)).tolist() for a, f in frames.items()}
    costs = Costs()
    brk = Breaker(warn=0.02, halve=0.04, halt=0.08, halt_bars=12)
    lots = {a: Lot(step=1e-4, min_cost=10.0) for a in frames}
    result = run_shared_cash(frames, strategy, PARAMS, costs, rebalance=Rebalance(every=24, drift=0.05),
                             lots=lots, breaker=brk, initial_capital=CAPITAL)
    equity, cash, fills = reference(frames, signals, costs, 24, 0.05, {a: (1e-4,) for a in frames}, brk, 12)
    np.testing.assert_allclose(result.equity.to_numpy(), equity, rtol=1e-9)
    np.testing.assert_allclose(result.cash.to_numpy(), cash, rtol=1e-9, atol=1e-9 * CAPITAL)
    got = result.fills
    assert len(got) == len(fills) > 20
    assert list(zip(got["bar"], got["asset"], got["leg"], strict=True)) == [(t, a, leg) for t, a, leg, *_ in fills]
    np.testing.assert_allclose(np.where(got["side"] == "buy", got["qty"], -got["qty"]), [f[3] for f in fills],
                               rtol=1e-9)
    np.testing.assert_allclose(got["price"], [f[4] for f in fills], rtol=1e-9)
    np.testing.assert_allclose(got["fee"], [f[5] for f in fills], rtol=1e-9)
    # the run exercised what it claims to: lot rounding, both legs, the breaker's halt and its flattening
    assert {"reduce", "increase"} <= set(got["leg"]) and (result.events["action"] == "halt").any()
    assert (got["reason"] == "breaker").any()
    assert result.metrics["total_fees"] == pytest.approx(sum(f[5] for f in fills), rel=1e-9)
    steps = got["qty"] / 1e-4
    np.testing.assert_allclose(steps, steps.round(), atol=1e-6)


@pytest.mark.parametrize("venue", BINANCE)
def test_one_asset_no_costs_every_bar_equals_the_single_asset_backtest(venue):
    frame = hourly()[venue]
    params = PARAMS | {"mode": "long_only"}
    single = run_backtest(frame, "sma_crossover", params, Costs.zero(), breaker=None, initial_capital=CAPITAL)
    shared = run_shared_cash({venue: frame}, "sma_crossover", params, Costs.zero(), rebalance=Rebalance(every=1),
                             breaker=None, initial_capital=CAPITAL)
    assert single.metrics["n_trades"] > 3
    np.testing.assert_allclose(shared.equity.to_numpy(), single.equity.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(shared.weights[venue].to_numpy(), single.positions.fillna(0).to_numpy(), atol=1e-9)
    for name in ("total_return", "sharpe_ratio", "max_drawdown", "annual_volatility"):
        assert shared.metrics[name] == pytest.approx(single.metrics[name], rel=1e-9, abs=1e-12)


def test_the_breaker_halts_the_whole_account_not_a_sleeve():
    # A falls 40 % over bars 3..6, B is flat: the account (half in each) falls 20 % and halts;
    # sleeves would halt A alone and keep B. B is flattened too, and nothing trades for halt_bars.
    n = 30
    a = np.r_[[100.0] * 3, np.linspace(100, 60, 4), [60.0] * (n - 7)]
    frames = {"A": candles(a), "B": candles(np.full(n, 50.0))}
    weights = pd.DataFrame({"A": 0.5, "B": 0.5}, index=frames["A"]["ts"].iloc[:1])
    brk = Breaker(warn=0.05, halve=0.10, halt=0.15, halve_scale=0.5, halt_bars=5)
    result = run_shared_cash(frames, weights=weights, costs=Costs.zero(), breaker=brk, initial_capital=CAPITAL)
    halt = result.events[result.events["action"] == "halt"]
    assert len(halt) == 1
    h = int(halt["bar"].iloc[0])
    flat = result.positions.iloc[h + 1: h + 6]
    assert (flat == 0).all().all() and (result.positions.iloc[h] != 0).all()
    broke = result.fills[result.fills["reason"] == "breaker"]
    assert set(broke["asset"]) == {"A", "B"} and set(broke["bar"]) == {h + 1}
    assert not result.fills["bar"].between(h + 2, h + 5).any()
    # after halt_bars the account re-enters its targets from a fresh peak
    assert (result.positions.iloc[h + 6] != 0).all()
    single = run_backtest(frames["B"].assign(target=1.0), SCRIPTED, {}, Costs.zero(), breaker=brk)
    assert (single.events["action"] != "halt").all()  # B's own sleeve would never have halted


def test_halve_scales_every_weight_and_drift_rebalances():
    n = 40
    a = np.r_[[100.0] * 3, [88.0] * (n - 3)]  # -12 % on A: the account falls 10.8 %, level 2
    frames = {"A": candles(a), "B": candles(np.full(n, 50.0))}
    weights = pd.DataFrame({"A": [0.9], "B": [0.1]}, index=frames["A"]["ts"].iloc[:1])
    result = run_shared_cash(frames, weights=weights, costs=Costs.zero(), rebalance=Rebalance(drift=0.01),
                             breaker=Breaker(warn=0.02, halve=0.05, halt=0.5, halve_scale=0.5))
    assert (result.events["action"] == "halve").any()
    after = result.weights.iloc[-1]
    assert after["A"] == pytest.approx(0.45) and after["B"] == pytest.approx(0.05)


def test_bad_settings_name_the_field():
    frames = {"A": candles(np.full(5, 10.0))}
    with pytest.raises(BacktestConfigError, match="either a strategy or target weights"):
        run_shared_cash(frames)
    with pytest.raises(BacktestConfigError, match="Rebalance.every = 0 is invalid"):
        Rebalance(every=0)
    with pytest.raises(BacktestConfigError, match="nothing would ever rebalance"):
        Rebalance(on_change=False)
    with pytest.raises(BacktestConfigError, match="Lot.step = -1 is invalid"):
        Lot(step=-1)
    with pytest.raises(BacktestConfigError, match=r"weights name unknown assets \['Z'\]"):
        run_shared_cash(frames, weights=pd.DataFrame({"Z": [1.0]}, index=frames["A"]["ts"].iloc[:1]))
    assert Rebalance(every="1d").every_bars("1h") == 24


def test_assets_with_different_timestamps_trade_only_at_their_own_bars():
    a = candles(np.linspace(100, 110, 10))
    b = candles(np.linspace(50, 60, 10)).iloc[3:].drop(index=6).reset_index(drop=True)  # starts late, a gap
    weights = pd.DataFrame({"A": [0.5], "B": [0.5]}, index=a["ts"].iloc[:1])
    result = run_shared_cash({"A": a, "B": b}, weights=weights, costs=Costs.zero(), rebalance=Rebalance(every=1),
                             breaker=None)
    assert result.equity.index.equals(pd.DatetimeIndex(a["ts"], name="ts"))
    assert (result.positions["B"].iloc[:3] == 0).all() and result.positions["B"].iloc[3] > 0
    assert not ((result.fills["asset"] == "B") & (result.fills["bar"] == 6)).any()
    # across B's missing bar its units are valued at its last close
    units, cash = result.positions.iloc[6], result.cash.iloc[6]
    assert result.equity.iloc[6] == pytest.approx(cash + units["A"] * a["close"].iloc[6] + units["B"] * b["close"].iloc[2])
