"""The batch evaluator (include/backtest/batch.py, Evaluator.many) against the per-trial path."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from include.backtest import Bars, Costs, run_backtest
from include.backtest import batch, summary
from include.backtest.config import Breaker, Exits, Sizing
from include.backtest.summary import FIELDS, pairwise_plan, pairwise_sum, performance, performance_stored
from include.strategies.base import StrategyError
from include.strategies.registry import get_strategy
from include.sweeps.evaluate import Evaluator, series_bars
from include.sweeps.spec import METRICS
from include.sweeps.study import open_study, run_trials
from tests.backtest.support import real_series
from tests.sweeps.support import frames, spec

SMA = get_strategy("sma_crossover")
GENERIC = dataclasses.replace(SMA, kernel_signal=None)  # the same strategy through a matrix of signals
# Every engine option on; the breaker's levels low enough that 1m BTC reaches halve and halt.
COSTS = Costs(taker_bps=10, maker_bps=2, fee_side="maker", slippage_bps=2, slippage_vol_k=0.5)
SETTINGS = {
    "sizing": Sizing(method="kelly", kelly_window=20, kelly_min_trades=3, kelly_fraction=0.5, kelly_cap=0.9,
                     kelly_fallback=0.5),
    "exits": Exits(stop_loss=0.01, take_profit=0.02, trail_atr_mult=2.0, trail_min_pct=0.012),
    "breaker": Breaker(warn=0.01, halve=0.02, halt=0.03, halt_bars=60),
}
GRID = [{"fast": f, "slow": s, "kind": k, "mode": m} for f in (3, 12) for s in (20, 45, 400)
        for k in ("sma", "ema") for m in ("long_only", "long_short")]


def assert_same(got: dict, want: dict, where: str, names=FIELDS) -> None:
    """Every named metric equal to 1e-12 relative, NaN equal to NaN."""
    for name in names:
        g, w = float(got[name]), float(want[name])
        if math.isnan(w):
            assert math.isnan(g), f"{where}: {name} = {g}, per-trial NaN"
        else:
            assert g == pytest.approx(w, rel=1e-12, abs=0.0), f"{where}: {name}"


def test_summary_fields_cover_the_sweep_metrics():
    assert set(METRICS) | {"n_trades"} <= set(FIELDS)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 255, 1000, 8193, 100_003])
def test_pairwise_sum_is_numpys_sum_bit_for_bit(n):
    values = np.random.default_rng(n).standard_normal(n + 3) * 1e-3
    assert pairwise_sum(values, 3, n) == np.sum(values[3:])
    assert pairwise_sum(values, 3, n, 2e-4, summary.DEVIATIONS) == np.sum((values[3:] - 2e-4) ** 2)
    assert pairwise_sum(values, 3, n, 0.0, summary.SHORTFALLS) == np.sum(np.minimum(values[3:], 0) ** 2)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 64, 127, 128])
def test_a_blocks_three_sums_in_one_pass_are_numpys_sums_bit_for_bit(n):
    values = np.random.default_rng(n).standard_normal(n + 2) * 1e-3
    x = values[2:]
    for center in (0.0, 3e-4):
        assert summary._block_sums(values, 2, n, center) == (np.sum(x), np.sum((x - center) ** 2),
                                                             np.sum(np.minimum(x, 0) ** 2))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 129, 1000, 8193, 100_003])
def test_streamed_metrics_equal_the_stored_two_pass_ones(n):
    """performance (one pass, the sums streamed through pairwise_sum's tree) against performance_stored (the
    returns kept, NumPy's two passes), also with a NaN equity, where performance hands over to the other."""
    equity = 1e4 * np.cumprod(1 + np.random.default_rng(n).standard_normal(n) * 1e-3)
    sizes, merges = pairwise_plan(n)
    assert sizes.sum() == n and (sizes <= 128).all()
    for nan_at in (None, n // 2) if n > 2 else (None,):
        if nan_at is not None:
            equity[nan_at] = np.nan
        got, want = np.full(len(FIELDS), np.nan), np.full(len(FIELDS), np.nan)
        performance(equity, 1e4, 525_600.0, sizes, merges, np.empty(128), np.empty((64, 3)), np.empty(n), got)
        performance_stored(equity, 1e4, 525_600.0, np.empty(n), want)
        assert_same(dict(zip(FIELDS, got)), dict(zip(FIELDS, want)), f"n={n} NaN at {nan_at}", names=FIELDS[:7])


@pytest.mark.parametrize("venue", ["bus_usdt", "bus_usdc", "bus_usd", "kraken"])
def test_batch_equals_run_backtest_on_the_real_candles(venue):
    bars = Bars(real_series()[venue], "1m")
    got = batch.run_batch(bars, SMA, GRID, COSTS, **SETTINGS)
    reasons = set()
    for params, row in zip(GRID, got, strict=True):
        result = run_backtest(bars, SMA, params, COSTS, check_lookahead=False, **SETTINGS)
        assert_same(row, result.metrics, f"{venue} {params}")
        reasons |= set(result.trades["exit_reason"]) | set(result.events["action"])
    # the grid exercises what it claims: every exit, the breaker's levels, and flat runs (slow=400: NaN ratios)
    assert {"stop_loss", "take_profit", "trailing_stop", "breaker", "halve", "halt"} <= reasons
    assert any(math.isnan(row["sharpe_ratio"]) for row in batch.run_batch(
        Bars(real_series()[venue].iloc[:300].reset_index(drop=True), "1m"), SMA, GRID[-2:], COSTS, **SETTINGS))


@pytest.mark.parametrize("exits, breaker", [
    (None, None), (None, SETTINGS["breaker"]), (Exits(stop_loss=0.01, take_profit=0.02), None),
    (Exits(stop_loss=0.01, take_profit=0.02), SETTINGS["breaker"]), (Exits(trail_atr_mult=2.0), None),
    (SETTINGS["exits"], SETTINGS["breaker"])])
def test_every_compiled_variant_equals_run_backtest(exits, breaker):
    """batch.simulate_batch runs a loop compiled per set of optional parts (exits, trailing stop, breaker): each
    equals run_backtest's general loop."""
    bars = Bars(real_series()["kraken"].iloc[:8_000].reset_index(drop=True), "1m")
    settings = {**SETTINGS, "exits": exits, "breaker": breaker}
    for params, row in zip(GRID, batch.run_batch(bars, SMA, GRID, COSTS, **settings), strict=True):
        want = run_backtest(bars, SMA, params, COSTS, check_lookahead=False, **settings).metrics
        assert_same(row, want, f"{exits} {breaker} {params}")


def test_blocks_bound_the_memory_and_keep_the_results(monkeypatch):
    bars = Bars(real_series()["kraken"].iloc[:5_000].reset_index(drop=True), "1m")
    whole = batch.run_batch(bars, SMA, GRID, COSTS, **SETTINGS)
    monkeypatch.setattr(batch, "BLOCK_BYTES", 3 * 8 * len(bars))  # three rows of signals
    # a matrix of signals (no kernel_signal): blocks of block_rows rows
    sizes = [len(rows) for _, rows, _ in batch.iter_batch(bars, GENERIC, GRID, COSTS, **SETTINGS)]
    assert max(sizes) == max(3, batch.block_rows(len(bars), False)) and sum(sizes) == len(GRID)
    # an in-kernel signal: blocks reading at most the store's three columns, its rows reused block after block
    monkeypatch.setattr(batch, "COLUMN_BYTES", 3 * 8 * len(bars))
    starts = [start for start, _, _ in batch.iter_batch(bars, SMA, GRID, COSTS, **SETTINGS)]
    for start, stop in zip(starts, starts[1:] + [len(GRID)]):
        read = set().union(*(SMA.columns(p).keys() for p in GRID[start:stop]))
        assert len(read) <= 3 or stop - start == 1
    for strategy in (SMA, GENERIC):
        for got, want in zip(batch.run_batch(bars, strategy, GRID, COSTS, **SETTINGS), whole, strict=True):
            assert_same(got, want, f"blocked {strategy.kernel_signal}")


def test_the_in_kernel_signal_equals_the_matrix_of_signals():
    """sma_crossover's kernel_signal (the crossover computed in the kernel's loop) against the generic path (its
    signal() per params into a matrix): the same floats, on the real candles with every engine option on."""
    bars = Bars(real_series()["bus_usdt"], "1m")
    fused = batch.run_batch(bars, SMA, GRID, COSTS, **SETTINGS)
    generic = batch.run_batch(bars, GENERIC, GRID, COSTS, **SETTINGS)
    for params, got, want in zip(GRID, fused, generic, strict=True):
        np.testing.assert_array_equal(list(got.values()), list(want.values()), err_msg=str(params))  # NaN == NaN


@pytest.mark.parametrize("name", ["rsi_mean_reversion", "bollinger_breakout", "donchian_trend"])
def test_a_strategy_without_a_kernel_signal_runs_the_generic_path(name):
    strategy = get_strategy(name)
    assert strategy.kernel_signal is None
    bars = Bars(real_series()["kraken"].iloc[:20_000].reset_index(drop=True), "1m")
    grid = [strategy.defaults()] + [{p.name: p.high} for p in strategy.params if p.kind == "int"][:1]
    for params, row in zip(grid, batch.run_batch(bars, strategy, grid, COSTS, **SETTINGS), strict=True):
        assert_same(row, run_backtest(bars, strategy, params, COSTS, check_lookahead=False, **SETTINGS).metrics,
                    f"{name} {params}")


def test_a_kernel_signal_needs_its_columns():
    with pytest.raises(StrategyError, match="declare columns"):
        dataclasses.replace(SMA, columns=None)


def sweep_settings():
    return {"costs": {"slippage_bps": 2, "slippage_vol_k": 0.5},
            "sizing": {"method": "kelly", "kelly_min_trades": 2, "kelly_window": 10},
            "exits": {"stop_loss": 0.02, "take_profit": 0.04, "trail_atr_mult": 2.0},
            "breaker": {"warn": 0.01, "halve": 0.02, "halt": 0.03}}


@pytest.mark.parametrize("score", ["sleeves", "portfolio"])
def test_evaluator_many_equals_one_call_per_trial(score):
    sweep = spec(2, score=score, **sweep_settings())
    evaluate = Evaluator.for_spec(sweep, series_bars(sweep, frames(2)), keep_daily=True)
    trials = [{"fast": f, "slow": s, "kind": "sma", "mode": m} for f, s in ((5, 20), (10, 40), (20, 80))
              for m in ("long_only", "long_short")]
    for params, got in zip(trials, evaluate.many(trials), strict=True):
        want = evaluate(params)
        assert got.keys() == want.keys()
        assert_same(got, want, f"{score} {params}", names=(*METRICS, "n_trades"))
        assert got["per_series"].keys() == want["per_series"].keys()
        for label, metrics in want["per_series"].items():  # None for NaN
            assert got["per_series"][label].keys() == metrics.keys()
            assert_same({k: math.nan if v is None else v for k, v in got["per_series"][label].items()},
                        {k: math.nan if v is None else v for k, v in metrics.items()}, f"{score} {params} {label}",
                        names=metrics.keys())
        for (first, daily), (first_want, daily_want) in zip(got["daily_returns"], want["daily_returns"], strict=True):
            assert first == first_want
            np.testing.assert_array_equal(daily, daily_want)


def test_optuna_asks_a_batch_evaluates_it_once_and_tells_each(tmp_path):
    sweep = spec(method="tpe", params={"fast": {"low": 4, "high": 30, "step": 2}, "slow": {"low": 6, "high": 40,
                 "step": 2}, "kind": "sma", "mode": "long_only"}, budget=8, chunk_size=8, seed=5)
    evaluate = Evaluator.for_spec(sweep, series_bars(sweep, frames()))
    calls = []

    def many(params_list):
        calls.append(len(params_list))
        return evaluate.many(params_list)

    study = open_study(sweep, "batch", None, 5)
    done = run_trials(study, sweep, many, 8, "chunk-0")
    assert calls == [8]
    complete = {t.number: t for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert len(complete) == len(done) == 8
    for number, params, metrics in done:  # each told its own value, and its params the sampler suggested
        assert complete[number].values == [metrics["sharpe_ratio"] if not math.isnan(metrics["sharpe_ratio"])
                                           else -math.inf]
        assert params["fast"] < params["slow"] and complete[number].params["fast"] == params["fast"]
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert all(t.params["fast"] >= t.params["slow"] for t in pruned)
    assert isinstance(study.sampler, optuna.samplers.TPESampler)


@pytest.mark.parametrize("mode", ["long_only", "long_short"])
def test_the_one_pass_crossover_equals_the_signal_building_blocks(mode):
    from include.strategies.signals import latch, sides
    from include.strategies.sma_crossover import TIE, crossover, moving_average

    frame = real_series()["kraken"]
    fast, slow = moving_average(frame, "ema", 7), moving_average(frame, "sma", 30)
    band = TIE * np.abs(slow)
    above, below = fast > slow + band, fast < slow - band
    want = sides(latch(above, below), latch(below, above), mode, ~(np.isnan(fast) | np.isnan(slow)))
    np.testing.assert_array_equal(crossover(fast, slow, mode == "long_short", np.empty(len(frame))), want)
