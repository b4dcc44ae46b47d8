"""The config's `portfolio:` and `execution:` sections and simulator.synthetic_assets, checked by their packages
and composed in include.checked_config: one message naming the key path."""
import re

import pytest

from include.checked_config import load_checked_config, parse_checked_config
from include.errors import ConfigError
from include.execution.settings import LEDGER_URL_ENV, execution_settings
from include.portfolio.settings import Method, portfolio_settings
from tests.config.support import config, universe


def fails(raw: dict, message: str) -> str:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        parse_checked_config(raw)
    return str(caught.value)


def test_a_misspelt_execution_key_lists_the_valid_ones():
    fails(config(execution={"risk": {"max_order_notinal": 5}}),
          "execution.risk.max_order_notinal: unknown key; valid keys: max_order_notional, max_position_weight, "
          "max_daily_turnover, min_notional")
    fails(config(execution={"kill_switch": "x"}), "execution.kill_switch: unknown key; valid keys: venue, symbols")


def test_a_bad_execution_value_names_its_key():
    fails(config(execution={"risk": {"max_order_notional": -1}}),
          "execution.risk.max_order_notional: -1 is invalid: Input should be greater than 0")
    fails(config(execution={"hard_limits": {"max_loss": 1.5}}), "execution.hard_limits.max_loss: 1.5 is invalid")
    fails(config(execution={"drift_threshold": "wide"}), "execution.drift_threshold: 'wide' is invalid")


def test_venue_and_symbols_must_be_the_universe_s():
    fails(config(execution={"venue": "sim_alfa"}),
          "execution.venue: 'sim_alfa' is not an exchange of the universe; did you mean sim_alpha")
    fails(config(execution={"symbols": ["BTC/USDT", "SOL/USDT"]}),
          "execution.symbols[1]: 'SOL/USDT' is not a symbol of 'sim_alpha' in the universe")
    fails(config(execution={"quote": "USDC"}), "execution.quote: 'BTC/USDT' is not quoted in 'USDC'")


def test_several_problems_in_one_message():
    message = fails(config(execution={"risk": {"min_notional": -2}}, portfolio={"max_weigth": 0.3}),
                    "portfolio: unknown key 'max_weigth'; did you mean max_weight")
    assert "execution.risk.min_notional: -2 is invalid" in message


def test_defaults_resolve_venue_symbols_and_the_ledger_url(monkeypatch):
    checked = parse_checked_config(config())
    settings = execution_settings(checked)
    assert settings.venue == "sim_alpha" and settings.symbols == ["BTC/USDT", "ETH/USDT"]
    assert settings.paper.initial_cash == 100_000 and settings.drift_threshold == 0.05
    assert settings.kill_switch_variable == "peak_trade_kill_switch" and settings.ledger_url is None
    monkeypatch.setenv(LEDGER_URL_ENV, "postgresql+psycopg://desk@db/ledger")
    assert execution_settings(checked).ledger_url == "postgresql+psycopg://desk@db/ledger"
    assert portfolio_settings(checked).method is Method.MIN_VARIANCE


def test_the_project_config_checks_and_declares_both_sections():
    checked = load_checked_config()
    assert execution_settings(checked).venue == "sim_alpha"
    assert portfolio_settings(checked).max_weight == 0.4


def test_synthetic_assets_exist_only_when_configured():
    raw = universe(symbols=["BTC/USDT", "SYN03/USDT"])
    fails(raw, "universe.symbols[1]: 'SYN03/USDT' needs simulator.synthetic_assets >= 3 (it is 0)")
    assert parse_checked_config(raw | {"simulator": {"synthetic_assets": 20}}).simulator.synthetic_assets == 20
    fails(config(simulator={"synthetic_assets": -1}), "simulator.synthetic_assets: -1 is invalid")
