"""include.checked_config: shape, every exchange's source catalogue and the sweeps, in one ConfigError."""
import os
import re
import subprocess

import pytest

from include.checked_config import load_checked_config, parse_checked_config
from include.errors import ConfigError
from tests.config.support import BULK_FILES, SWEEP, config, universe, with_exchanges
from tests.conftest import REPO


def fails(raw: dict, message: str, strategies: bool = False) -> str:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        parse_checked_config(raw, strategies=strategies)
    return str(caught.value)


def test_unknown_sim_exchange_lists_the_venues():
    fails(with_exchanges(id="sim_alfa"),
          "universe.exchanges[0].id: unknown simulated exchange 'sim_alfa'; valid: sim_alpha, sim_beta, sim_gamma")


def test_symbol_not_listed_says_did_you_mean():
    fails(universe(symbols=["BTC/USDX"]),
          "universe.symbols[0]: 'BTC/USDX' is not listed on exchange 'sim_alpha'; did you mean BTC/USDT")
    # An exchange's own list is named as its own key.
    fails(with_exchanges(symbols=["BTC/USDT", "ETH/USTD"]),
          "universe.exchanges[0].symbols[1]: 'ETH/USTD' is not listed on exchange 'sim_alpha'; did you mean ETH/USDT")


def test_symbol_not_in_base_quote_form():
    fails(universe(symbols=["BTCUSDT"]), "universe.symbols[0]: 'BTCUSDT' is not a unified BASE/QUOTE symbol like BTC/USDT")


def test_timeframe_not_offered_lists_the_offer():
    fails(universe(timeframes=["1h", "2h"]),
          "universe.timeframes[1]: '2h' is not offered by exchange 'sim_alpha'; valid: 1m, 5m, 15m, 30m, 1h, 4h, 1d")


def test_ccxt_exchange_id_and_timeframes_are_checked_without_a_network_call():
    fails(with_exchanges({"id": "binanse", "source": "ccxt"}),
          "universe.exchanges[1].id: unknown ccxt exchange id 'binanse'; did you mean binance")
    fails(with_exchanges({"id": "kraken", "source": "ccxt", "timeframes": ["2m"]}),
          "universe.exchanges[1].timeframes[0]: '2m' is not offered by exchange 'kraken'; valid: 1m, 5m")


def test_file_exchange_serves_the_symbols_its_files_hold():
    fails(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h"], "symbols": ["ETH/USDT"],
                          "files": BULK_FILES}),
          "universe.exchanges[1].symbols[0]: 'ETH/USDT' is not listed on exchange 'bulk'; did you mean BTC/USDT?")


def test_sweep_referencing_an_undeclared_series():
    fails(config(sweeps=[{**SWEEP, "universe": [{"exchange": "sim_beta", "symbol": "BTC/USDT"}]}]),
          "sweeps[0].universe[0]: sim_beta BTC/USDT 1h is not in the universe; "
          "declared: sim_alpha BTC/USDT 1h, sim_alpha ETH/USDT 1h")


def test_duplicate_sweep_names():
    fails(config(sweeps=[SWEEP, SWEEP]), "sweeps[1].name: 's' is used by an earlier sweep; names must be unique")


def test_sweep_shape_is_checked_without_strategies():
    fails(config(sweeps=[{**SWEEP, "method": "bayes"}]),
          "sweeps[0]: method: 'bayes' is invalid: Input should be 'grid', 'random', 'tpe', 'nsga2' or 'walk_forward'")
    fails(config(sweeps=[{**SWEEP, "objective": "sharpe"}]),
          "sweeps[0]: objective.metric: 'sharpe' is not a sweep metric; valid: sharpe_ratio")
    fails(config(sweeps=[{**SWEEP, "budget": 0}]), "sweeps[0]: budget: 0 is invalid")


def test_strategy_names_and_params_wait_for_strategies_true():
    raw = config(sweeps=[{**SWEEP, "strategy": "sma_cross"}])
    assert parse_checked_config(raw).sweeps[0]["strategy"] == "sma_cross"  # parse time: shape only
    fails(raw, "sweeps[0]: strategy: unknown strategy 'sma_cross'; valid strategies: bollinger_breakout",
          strategies=True)


def test_strategies_true_names_a_bad_parameter():
    fails(config(sweeps=[{**SWEEP, "params": {"fast": {"low": 1}}}]),
          "sweeps[0]: params.fast.low: 1 is out of range; valid: an int in [2, 200]", strategies=True)
    fails(config(sweeps=[{**SWEEP, "params": {"speed": 3}}]),
          "sweeps[0]: params.speed: strategy 'sma_crossover' has no param 'speed'; valid params: fast, slow",
          strategies=True)


def test_several_problems_are_reported_together():
    raw = universe(symbols=["BTC/USDX"], timeframes=["1h", "2h"])
    raw["sweeps"] = [SWEEP, SWEEP]
    message = fails(raw, "config: universe.symbols[0]: 'BTC/USDX' is not listed")
    for part in ("universe.timeframes[1]: '2h' is not offered", "sweeps[0].universe[0]: sim_alpha BTC/USDT 1h",
                 "sweeps[1].name: 's' is used by an earlier sweep"):
        assert part in message
    assert message.count("config: ") == 1


def test_load_checked_config_names_the_file(tmp_path):
    path = tmp_path / "peak.yaml"
    path.write_text("universe: {symbols: [BTC/USDX], timeframes: [1h], exchanges: [{id: sim_alpha, source: sim}]}\n"
                    "history: {start: {1h: 3d}}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: universe.symbols[0]: 'BTC/USDX' is not listed")):
        load_checked_config(path)


def test_the_shipped_config_passes_every_check():
    config = load_checked_config(strategies=True)
    assert {e.source for e in config.universe.exchanges} == {"sim"}


def test_checking_without_strategies_loads_no_strategy_engine_or_optimiser():
    probe = ("import sys; from include.checked_config import load_checked_config; load_checked_config(); "
             "print([m for m in ('include.strategies', 'include.backtest', 'numba', 'optuna', 'skfolio', 'cvxpy') if m in sys.modules])")
    done = subprocess.run([str(REPO / ".venv/bin/python"), "-c", probe], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
