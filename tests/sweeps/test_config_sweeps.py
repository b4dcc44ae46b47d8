"""Sweeps declared in the config: checked with the rest of it, each error naming its key."""
import pytest
import yaml

from include.checked_config import parse_checked_config
from include.errors import ConfigError
from include.sweeps.checks import sweep_specs

BASE = """
universe:
  symbols: [BTC/USDT]
  timeframes: [1h]
  exchanges: [{id: sim_alpha, source: sim}]
history: {start: {1h: 3d}}
"""
SWEEP = {"name": "s", "strategy": "sma_crossover", "universe": [{"exchange": "sim_alpha", "symbol": "BTC/USDT"}],
         "timeframe": "1h", "method": "random", "budget": 5}


def config_with(*sweeps):
    return {**yaml.safe_load(BASE), "sweeps": list(sweeps)}


def test_the_shipped_config_declares_valid_sweeps():
    from include.checked_config import load_checked_config

    specs = sweep_specs(load_checked_config(strategies=True))
    assert set(specs) == {"sma_crossover_1h", "rsi_tpe_1h", "sma_walk_forward_1h"}
    assert {spec.method for spec in specs.values()} == {"grid", "tpe", "walk_forward"}


def test_a_valid_sweep_parses():
    (spec,) = sweep_specs(parse_checked_config(config_with(SWEEP), strategies=True)).values()
    assert spec.strategy == "sma_crossover" and spec.budget == 5


@pytest.mark.parametrize(
    "change, message",
    [
        ({"universe": [{"exchange": "sim_alpha", "symbol": "ETH/USDT"}]},
         "sweeps[0].universe[0]: sim_alpha ETH/USDT 1h is not in the universe; declared: sim_alpha BTC/USDT 1h"),
        ({"timeframe": "4h"}, "sweeps[0].universe[0]: sim_alpha BTC/USDT 4h is not in the universe"),
        ({"strategy": "nope"}, "sweeps[0]: strategy: unknown strategy 'nope'; valid strategies: bollinger_breakout, donchian_trend"),
        ({"budgett": 3}, "sweeps[0]: budgett: unknown key"),
    ],
    ids=["symbol_not_declared", "timeframe_not_declared", "unknown_strategy", "typo"],
)
def test_bad_sweeps_name_the_key(change, message):
    with pytest.raises(ConfigError) as failure:
        parse_checked_config(config_with({**SWEEP, **change}), strategies=True)
    assert message in str(failure.value)


def test_sweep_names_are_unique():
    with pytest.raises(ConfigError, match=r"sweeps\[1\].name: 's' is used by an earlier sweep"):
        parse_checked_config(config_with(SWEEP, SWEEP))


def test_without_strategies_only_the_shape_is_checked_and_sweep_specs_checks_the_rest():
    config = parse_checked_config(config_with({**SWEEP, "strategy": "nope", "params": {"speed": 3}}))
    with pytest.raises(ConfigError, match=r"^config: sweeps\[0\]: strategy: unknown strategy 'nope'"):
        sweep_specs(config)
    with pytest.raises(ConfigError, match=r"sweeps\[0\]: budget: 0 is invalid"):
        parse_checked_config(config_with({**SWEEP, "strategy": "nope", "budget": 0}))
