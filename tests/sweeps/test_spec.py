"""A sweep config validates into a SweepSpec, or fails with one message per problem naming the key."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml

from include.errors import ConfigError
from include.sweeps import parse_spec

BASE = {
    "name": "btc_sma",
    "strategy": "sma_crossover",
    "universe": [{"exchange": "kraken", "symbol": "BTC/USD"}],
    "timeframe": "1h",
    "method": "tpe",
}


def problems(**fields) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_spec({**BASE, **fields})
    return str(caught.value)


def test_a_minimal_spec_gets_the_declared_space_and_defaults():
    spec = parse_spec(BASE)
    assert [d.name for d in spec.space()] == ["fast", "slow", "kind", "mode"]
    fast = spec.space()[0]
    assert (fast.low, fast.high, fast.step) == (2, 200, 1)
    assert (spec.objective.metric, spec.objective.direction) == ("sharpe_ratio", "maximize")
    assert (spec.budget, spec.chunk_size, spec.seed) == (100, 10, 0)
    assert spec.costs.to_costs().taker_bps == 10.0


def test_param_overrides_fixed_choices_and_range():
    spec = parse_spec({**BASE, "params": {"fast": {"low": 5, "high": 30, "step": 5}, "slow": [40, 60], "kind": "ema"}})
    fast, slow, kind, _ = spec.space()
    assert fast.values() == (5, 10, 15, 20, 25, 30)
    assert slow.values() == (40, 60)
    assert kind.fixed and kind.choices == ("ema",)


def test_unknown_strategy_lists_the_valid_ones():
    message = problems(strategy="sma_cross")
    assert "strategy: unknown strategy 'sma_cross'" in message
    assert ("valid strategies: bollinger_breakout, donchian_trend, regime_adaptive, rsi_mean_reversion, "
            "sma_crossover") in message


def test_param_out_of_the_strategy_range_names_the_range():
    assert "params.fast.low: 1 is out of range; valid: an int in [2, 200]" in problems(params={"fast": {"low": 1}})
    assert "params.slow.choices: 600 is out of range; valid: an int in [3, 500]" in problems(params={"slow": [50, 600]})
    assert "params.kind: 'wma' is not one of 'sma', 'ema'" in problems(params={"kind": "wma"})
    assert "params.fast.step: 2.5 is not a whole number" in problems(params={"fast": {"step": 2.5}})
    assert "params.fast: low (30) is above high (10)" in problems(params={"fast": {"low": 30, "high": 10}})


def test_unknown_param_and_unknown_keys_list_what_is_valid():
    assert "params.speed: strategy 'sma_crossover' has no param 'speed'; valid params: fast, slow, kind, mode" \
        in problems(params={"speed": 3})
    assert "params.fast.lo: unknown key; valid keys: value, low, high, step, choices" \
        in problems(params={"fast": {"lo": 3}})
    assert "universe[0].venue: unknown key; valid keys: exchange, symbol" \
        in problems(universe=[{"exchange": "kraken", "symbol": "BTC/USD", "venue": "x"}])
    assert "budgett: unknown key; valid keys: name, strategy" in problems(budgett=5)


def test_method_objective_and_numbers():
    assert "method: 'bayes' is invalid: Input should be 'grid', 'random', 'tpe', 'nsga2' or 'walk_forward'" \
        in problems(method="bayes")
    assert "objective.metric: 'sharpe' is not a sweep metric; valid: sharpe_ratio, sortino_ratio" \
        in problems(objective="sharpe")
    assert "budget: 0 is invalid: Input should be greater than or equal to 1" in problems(budget=0)
    assert "timeframe: timeframe '1x' is not of the form" in problems(timeframe="1x")
    assert "universe: entry 1 (kraken BTC/USD) is listed twice" in problems(universe=[BASE["universe"][0]] * 2)
    assert "maximize it to prefer shallower drawdowns" in problems(objective={"max_drawdown": "minimize"})


def test_grid_over_budget_names_both_numbers():
    message = problems(method="grid", budget=50, params={"fast": {"low": 5, "high": 50, "step": 5}, "slow": [60, 80]})
    assert "budget: the grid has 80 points (fast 10 x slow 2 x kind 2 x mode 2), more than budget 50" in message


def test_nsga2_needs_two_objectives_and_only_nsga2_takes_them():
    assert "objectives: method nsga2 needs two or more" in problems(method="nsga2", objectives=["sharpe_ratio"])
    assert "objective: method nsga2 optimises `objectives`" in problems(
        method="nsga2", objective="sharpe_ratio", objectives=["sharpe_ratio", "max_drawdown"])
    assert "objectives: only method nsga2 takes `objectives`" in problems(objectives=["sharpe_ratio", "max_drawdown"])
    spec = parse_spec({**BASE, "method": "nsga2",
                       "objectives": [{"sharpe_ratio": "maximize"}, {"max_drawdown": "maximize"}]})
    assert [(g.metric, g.direction) for g in spec.goals()] == [
        ("sharpe_ratio", "maximize"), ("max_drawdown", "maximize")]


def test_walk_forward_block_rules():
    block = {"in_sample": "4d", "out_of_sample": "2d"}
    assert "walk_forward: method walk_forward needs a walk_forward block" in problems(method="walk_forward")
    assert "start: method walk_forward needs the window its folds tile" in problems(
        method="walk_forward", walk_forward=block)
    assert "walk_forward: one fold (in_sample + out_of_sample = 6 days) does not fit in start..end (3 days)" \
        in problems(method="walk_forward", walk_forward=block, start="2023-03-01", end="2023-03-04")
    assert "walk_forward: only method walk_forward takes this block (method is tpe)" in problems(walk_forward=block)
    assert "walk_forward.method: 'nsga2' is invalid" in problems(
        method="walk_forward", walk_forward={**block, "method": "nsga2"}, start="2023-03-01", end="2023-03-21")
    assert "start (2023-03-05 00:00) must be before end (2023-03-01 00:00)" \
        in problems(start="2023-03-05", end="2023-03-01")


def test_sizing_exits_and_breaker_default_to_the_engine_and_are_checked_by_it():
    settings = parse_spec(BASE).engine_settings()
    assert (settings["sizing"].method, settings["exits"], settings["breaker"].halt) == ("fixed", None, 0.15)
    custom = parse_spec({**BASE, "sizing": {"method": "kelly", "kelly_cap": 0.1}, "exits": {"stop_loss": 0.05},
                         "breaker": None}).engine_settings()
    assert (custom["sizing"].kelly_cap, custom["exits"].stop_loss, custom["breaker"]) == (0.1, 0.05, None)
    assert "sizing: Sizing.method = 'martingale' is invalid; valid: fixed, vol_target, kelly" \
        in problems(sizing={"method": "martingale"})
    assert "exits: unknown key 'stop'; valid keys: stop_loss, take_profit, trail_atr_mult" in problems(exits={"stop": 0.1})
    assert "breaker: Breaker.warn/halve/halt = (0.2, 0.1, 0.15) is invalid; valid: 0 < warn < halve < halt < 1" \
        in problems(breaker={"warn": 0.2})
    assert "sizing: 'kelly' is not a mapping of Sizing settings" in problems(sizing="kelly")
    assert "exits: {'stop_loss': 'tight'}: every value must be a number" in problems(exits={"stop_loss": "tight"})


def test_every_problem_is_reported_at_once():
    message = problems(strategy="nope", timeframe="1x", costs={"taker_bps": -1})
    assert message.count(";") >= 2
    assert "costs.taker_bps: -1 is invalid: Input should be greater than or equal to 0" in message


def test_the_yaml_shorthands_parse():
    spec = parse_spec(yaml.safe_load("""
        name: sma_btc
        strategy: sma_crossover
        universe: [{exchange: kraken, symbol: BTC/USD}]
        timeframe: 1h
        start: 2023-03-01
        end: 2023-03-21
        params: {fast: {low: 5, high: 30, step: 5}, slow: [40, 60, 100], kind: sma}
        method: nsga2
        objectives: [sharpe_ratio: maximize, max_drawdown: maximize]
        budget: 200
        chunk_size: 20
    """))
    assert [g.metric for g in spec.goals()] == ["sharpe_ratio", "max_drawdown"]
    assert spec.start == datetime(2023, 3, 1, tzinfo=timezone.utc)
    assert [d.size() for d in spec.space()] == [6, 3, 1, 2]


def test_shape_only_leaves_strategy_params_and_engine_settings_to_the_full_check():
    loose = {**BASE, "strategy": "sma_cross", "params": {"speed": 3}, "sizing": {"method": "martingale"},
             "method": "grid", "budget": 1}
    assert parse_spec(loose, strategies=False).strategy == "sma_cross"
    with pytest.raises(ConfigError, match="strategy: unknown strategy 'sma_cross'"):
        parse_spec(loose)
    with pytest.raises(ConfigError, match=r"method: 'bayes' is invalid.*; sizing: 'kelly' is not a mapping of Sizing"):
        parse_spec({**BASE, "method": "bayes", "sizing": "kelly"}, strategies=False)
