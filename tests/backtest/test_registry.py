"""Strategy discovery, get_strategy and validate_params errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

from include.backtest import BacktestConfigError, Costs, Exits, run_backtest
from include.strategies import (StrategyError, broken_strategies, get_strategy, strategies, strategy_names,
                                validate_params)
from include.strategies.registry import discover
from tests.backtest.support import candles

BUILT_INS = ["bollinger_breakout", "donchian_trend", "regime_adaptive", "rsi_mean_reversion", "sma_crossover"]


def test_every_module_with_a_strategy_is_registered():
    assert strategy_names() == BUILT_INS
    assert all(strategies()[name].name == name for name in BUILT_INS)


GOOD = """
import numpy as np
from include.strategies.base import Strategy
STRATEGY = Strategy(name="always_long", params=(), signal=lambda frame, params: np.ones(len(frame)))
"""


def test_a_broken_strategy_file_is_named_and_the_others_still_load(tmp_path, monkeypatch, caplog):
    package = tmp_path / "user_strategies"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "always_long.py").write_text(GOOD)  # sorts before copy_of_it.py
    (package / "typo.py").write_text("def signal(frame, params)\n    return frame\n")
    (package / "crashes.py").write_text("raise RuntimeError('needs an API key')\n")
    (package / "not_a_strategy.py").write_text("STRATEGY = 'sma'\n")
    (package / "copy_of_it.py").write_text(GOOD)  # the same name again: the first file by name keeps it
    monkeypatch.syspath_prepend(str(tmp_path))
    found, broken = discover("user_strategies")
    assert list(found) == ["always_long"]
    assert found["always_long"].signal(candles([1.0, 2.0]), {}).tolist() == [1.0, 1.0]
    assert broken["crashes.py"] == "RuntimeError: needs an API key"
    assert broken["typo.py"].startswith("SyntaxError: ")
    assert broken["not_a_strategy.py"] == "STRATEGY is a str, not a Strategy"
    assert broken["copy_of_it.py"] == "a strategy named 'always_long' is already defined by an earlier module"
    assert "strategy file typo.py skipped: SyntaxError" in caplog.text


def test_the_built_in_folder_has_no_broken_file():
    assert broken_strategies() == {}


def test_unknown_strategy_names_the_valid_ones():
    message = f"unknown strategy 'sma_cross'; valid strategies: {', '.join(BUILT_INS)}"
    with pytest.raises(StrategyError, match=f"^{re.escape(message)}$"):
        get_strategy("sma_cross")


def test_validate_params_fills_defaults_and_coerces():
    sma = get_strategy("sma_crossover")
    assert validate_params(sma, None) == {"fast": 10, "slow": 50, "kind": "sma", "mode": "long_only"}
    assert validate_params(sma, {"fast": np.int64(5), "slow": 20.0}) == {
        "fast": 5, "slow": 20, "kind": "sma", "mode": "long_only"}
    assert validate_params(get_strategy("bollinger_breakout"), {"k": 3})["k"] == 3.0


@pytest.mark.parametrize("params, message", [
    ({"fsat": 5}, "strategy 'sma_crossover' has no param 'fsat'; valid params: fast, slow, kind, mode"),
    ({"fast": 1}, "strategy 'sma_crossover': param 'fast' = 1 is out of range; valid: an int in [2, 200]"),
    ({"slow": 20.5}, "strategy 'sma_crossover': param 'slow' = 20.5 is not an int in [3, 500]"),
    ({"fast": True}, "strategy 'sma_crossover': param 'fast' = True is not an int in [2, 200]"),
    ({"kind": "wma"}, "strategy 'sma_crossover': param 'kind' = 'wma' is not one of 'sma', 'ema'"),
    ({"fast": 50, "slow": 20}, "strategy 'sma_crossover': param 'fast' (50) must be smaller than 'slow' (20)"),
])
def test_bad_params_get_one_clear_message(params, message):
    with pytest.raises(StrategyError, match=f"^{re.escape(message)}$"):
        validate_params(get_strategy("sma_crossover"), params)


def test_run_backtest_validates_params_and_settings():
    frame = candles(np.arange(100.0, 160.0))
    with pytest.raises(StrategyError, match="param 'upper' = 120 is out of range; valid: a number in"):
        run_backtest(frame, "rsi_mean_reversion", {"upper": 120})
    with pytest.raises(BacktestConfigError, match=r"Exits.stop_loss = 1.5 is invalid"):
        run_backtest(frame, "sma_crossover", {}, Costs(), exits=Exits(stop_loss=1.5))
