"""CcxtBroker against the loopback Binance emulator: markets, retries, 429 and 418, scrubbed secrets."""
import logging
import re

import ccxt
import pytest

from include.errors import ConfigError
from include.execution.ccxt_broker import open_ccxt_broker
from include.execution.credentials import Credentials, scrub
from tests.execution.venue_support import (
    API_KEY, CREDENTIALS, SECRET, accepted_creates, account, assert_no_secret, error_texts, script, venue,
)


def test_credentials_are_masked_and_scrubbed_from_any_text():
    creds = Credentials(API_KEY, SECRET, "pass-phrase-1")
    assert_no_secret(repr(creds), str(creds), f"{creds}", repr([creds]))
    assert "pass-phrase-1" not in repr(creds)
    assert creds.secrets == tuple(sorted({API_KEY, SECRET, "pass-phrase-1"}, key=len, reverse=True))
    text = (f"binance GET https://x/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=ab12cd34 "
            f"{{'X-MBX-APIKEY': '{API_KEY}'}} secret {SECRET} apiKey={API_KEY}")
    clean = scrub(text, creds.secrets)
    assert_no_secret(clean)
    assert "ab12cd34" not in clean and "signature=***" in clean and "symbol=BTCUSDT" in clean


def test_credentials_from_a_connection_name_the_connection_never_a_value():
    creds = Credentials.from_connection("binance_main", API_KEY, SECRET, '{"passphrase": "pp-123456"}')
    assert (creds.api_key, creds.secret, creds.password) == (API_KEY, SECRET, "pp-123456")
    with pytest.raises(ConfigError, match="connection 'binance_main': password \\(the secret\\) is empty") as caught:
        Credentials.from_connection("binance_main", API_KEY, "", None)
    assert_no_secret(str(caught.value))


def test_markets_are_the_account_s_spot_symbols_and_a_missing_one_names_the_closest():
    with venue() as (emulator, broker, _):
        assert sorted(broker.markets) == ["BTC/USDT", "ETH/USDT"]
        assert broker.markets["BTC/USDT"]["spot"] and broker.markets["BTC/USDT"]["precision"]["amount"] == 1e-05
        assert_no_secret(repr(broker))
        with pytest.raises(ConfigError, match=re.escape("symbol 'BTC/USDC' is not a spot market of 'binance' "
                                                        "(account 'emu_main'); did you mean BTC/USDT")):
            open_ccxt_broker("emu_main", account(emulator), CREDENTIALS, ["BTC/USDC"])


def test_reads_by_client_order_id_and_trades_over_every_symbol():
    with venue() as (_, broker, _):
        broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "pt-a"})
        broker.create_order("ETH/USDT", "market", "buy", 0.5, None, {"clientOrderId": "pt-b"})
        assert broker.fetch_order(None, "BTC/USDT", {"clientOrderId": "pt-a"})["status"] == "closed"
        trades = broker.fetch_my_trades()  # Binance needs a symbol: the broker asks per account symbol
        assert sorted((t["symbol"], t["amount"]) for t in trades) == [("BTC/USDT", 0.01), ("ETH/USDT", 0.5)]
        assert broker.fetch_balance()["total"]["BTC"] == pytest.approx(0.1 + 0.01 * 0.999)
        with pytest.raises(ccxt.OrderNotFound):
            broker.fetch_order(None, "BTC/USDT", {"clientOrderId": "pt-none"})


def test_transient_read_errors_are_retried_with_backoff_up_to_max_retries():
    with venue() as (emulator, broker, waits):
        script(emulator, ("account", "server_5xx", {"status": 502}), ("account", "unknown_1007"))
        assert broker.fetch_balance()["total"]["USDT"] == 10_000
        assert waits == [0.01, 0.02]
        script(emulator, *[("account", "server_5xx", {"status": 503})] * 3)
        with pytest.raises(ccxt.ExchangeNotAvailable) as caught:
            broker.fetch_balance()
        assert caught.value.http_status == 503 and emulator.fault_counts()["server_5xx"] == 4


def test_a_429_on_create_is_sent_again_with_the_same_client_order_id_and_created_once():
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "rate_limit_429"))
        order = broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "pt-429"})
        assert order["clientOrderId"] == "pt-429" and order["status"] == "closed"
        assert waits == [1.0]  # the venue's Retry-After
        assert [r["clientOrderId"] for r in accepted_creates(emulator)] == ["pt-429"]
        assert emulator.fault_counts()["rate_limit_429"] == 1


def test_a_create_whose_outcome_is_unknown_is_never_sent_again():
    with venue() as (emulator, broker, waits):
        script(emulator, ("create", "lost_response"))
        with pytest.raises(ccxt.RequestTimeout):
            broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "pt-lost"})
        assert waits == [] and len(emulator.create_requests()) == 1


def test_a_418_ban_stops_at_once():
    with venue() as (emulator, broker, waits):
        script(emulator, ("account", "ban_418"), ("create", "ban_418"))
        with pytest.raises(ccxt.DDoSProtection, match="banned this IP \\(HTTP 418\\) during fetch_balance.*"
                                                      "trading stops now \\(Retry-After: 1 s\\)") as caught:
            broker.fetch_balance()
        assert caught.value.http_status == 418
        with pytest.raises(ccxt.DDoSProtection, match="HTTP 418"):
            broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "pt-ban"})
        assert waits == [] and emulator.fault_counts()["ban_418"] == 2 and emulator.create_requests() == []


def test_no_secret_in_any_exception_repr_or_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    texts = []
    with venue(max_retries=0) as (emulator, broker, _):
        texts.append(repr(broker))
        # a timed-out signed GET: ccxt's message carries the URL with its signature
        script(emulator, ("query", "lost_response"), ("account", "server_5xx"), ("create", "unknown_1007"))
        for call in (lambda: broker.fetch_order(None, "BTC/USDT", {"clientOrderId": "pt-x"}),
                     broker.fetch_balance,
                     lambda: broker.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "y"}),
                     lambda: broker.create_order("BTC/USDT", "market", "buy", 1e6, None, {"clientOrderId": "z"})):
            with pytest.raises(ccxt.BaseError) as caught:
                call()
            assert caught.value.__cause__ is None and caught.value.__context__ is None
            texts += error_texts(caught.value)
        assert any("signature=***" in t for t in texts)
        wrong = Credentials(API_KEY, "PT-SECRET-wrong-secret-0001")
        with pytest.raises(ccxt.AuthenticationError) as caught:
            open_ccxt_broker("emu_main", account(emulator), wrong, ["BTC/USDT"]).fetch_balance()
        texts += error_texts(caught.value)
    assert_no_secret(*texts, *(r.getMessage() for r in caplog.records), caplog.text)
