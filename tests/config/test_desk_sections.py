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


def venue(**keys) -> dict:
    return config(execution={"venues": {"main": {"exchange": "binance", "connection_id": "binance_main"} | keys}})


def test_a_venue_account_defaults_to_the_sandbox_with_approval():
    account = execution_settings(parse_checked_config(venue())).venues["main"]
    assert (account.sandbox, account.live, account.require_approval, account.approvers) == (True, False, True, [])
    assert (account.lost_after_queries, account.query_interval_s, account.max_retries) == (5, 1.0, 3)
    assert (account.timeout_ms, account.trades_lookback_hours, account.api_url) == (10_000, 48, None)
    live = venue(sandbox=False, live=True, approvers=["ops"], api_url="https://proxy.internal:8443/")
    assert execution_settings(parse_checked_config(live)).venues["main"].api_url == "https://proxy.internal:8443"


def test_a_venue_account_names_a_ccxt_exchange_and_a_plain_api_url():
    fails(venue(exchange="binanse"), "execution.venues.main.exchange: 'binanse' is not a ccxt exchange id; "
                                     "did you mean binance")
    fails(venue(api_url="ftp://proxy"), "execution.venues.main.api_url: 'ftp://proxy' is invalid; "
                                        "valid: http(s)://host[:port], nothing after it")
    fails(venue(api_url="http://127.0.0.1:5000/api/v3"), "execution.venues.main.api_url: "
                                                         "'http://127.0.0.1:5000/api/v3' is invalid")
    fails(venue(api_url="http://127.0.0.1:99999"), "execution.venues.main.api_url: 'http://127.0.0.1:99999' "
                                                   "is not a URL")
    fails(venue(secret="x"), "execution.venues.main.secret: unknown key; valid keys: exchange, connection_id")
    fails(venue(connection_id=""), "execution.venues.main.connection_id: '' is invalid")


def test_paper_is_reserved_and_account_names_fit_a_file_and_a_schema():
    raw = config(execution={"venues": {"paper": {"exchange": "binance", "connection_id": "c"}}})
    fails(raw, "execution.venues.paper: the name 'paper' is reserved for the paper desk")
    raw = config(execution={"venues": {"Main-1": {"exchange": "binance", "connection_id": "c"}}})
    fails(raw, "execution.venues.Main-1: the account name 'Main-1' is invalid; valid: lower-case letters")


def test_live_money_needs_sandbox_off_approvers_and_approval():
    fails(venue(live=True, approvers=["ops"]), "execution.venues.main.sandbox: a live account trades real money, "
                                               "so sandbox must be false")
    fails(venue(sandbox=False, live=True), "execution.venues.main.approvers: a live account needs at least one "
                                           "approver")
    fails(venue(sandbox=False, require_approval=False),
          "execution.venues.main.require_approval: false is refused: live accounts always need a person's approval")
    assert not execution_settings(parse_checked_config(venue(require_approval=False))).venues["main"].require_approval


def test_a_sandbox_account_needs_an_exchange_with_a_testnet():
    fails(venue(exchange="kraken"), "execution.venues.main.sandbox: ccxt has no sandbox (test) URLs for 'kraken', "
                                    "so set_sandbox_mode would fail")
    assert execution_settings(parse_checked_config(venue(exchange="kraken", sandbox=False))).venues["main"].exchange \
        == "kraken"
