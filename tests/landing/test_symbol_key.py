"""symbol_key / symbol_from_key: an exact inverse pair over every ccxt symbol form.

hypothesis is not installed here, so the round trip is checked on a table of real
forms and exhaustively on every string of up to three characters over an alphabet
of the characters that matter (separators, the escape itself, URL and hive specials).
"""
from __future__ import annotations

import itertools

import pandas as pd
import pytest

from include.series import Series
from include.landing.store import series_dir, store_candles, symbol_from_key, symbol_key

FORMS = {
    "BTC/USDT": "BTC-USDT",                                    # spot: today's partition names stay readable
    "BTC/USDT:USDT": "BTC-USDT_USDT",                          # linear swap
    "BTC/USD:BTC": "BTC-USD_BTC",                              # inverse swap
    "BTC/USDT:USDT-250328": "BTC-USDT_USDT~2d250328",          # dated future
    "BTC/USD:BTC-250328-60000-C": "BTC-USD_BTC~2d250328~2d60000~2dC",  # option
    "1000PEPE/USDT": "1000PEPE-USDT",                          # digits in the base
    "1000PEPE/USDT:USDT": "1000PEPE-USDT_USDT",
    "BTC-PERP": "BTC~2dPERP",                                  # a dash in an exchange's own id
    "BTC-PERP/USD": "BTC~2dPERP-USD",
    "ETH_BTC": "ETH~5fBTC",
    "BTC.D/USDT": "BTC.D-USDT",
    "币安人生/USDT": "~e5~b8~81~e5~ae~89~e4~ba~ba~e7~94~9f-USDT",
}
SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")


@pytest.mark.parametrize("symbol, key", FORMS.items())
def test_each_symbol_form_has_its_key_and_comes_back(symbol, key):
    assert symbol_key(symbol) == key
    assert symbol_from_key(key) == symbol


def test_every_short_string_round_trips_to_a_distinct_path_safe_key():
    alphabet = ["B", "1", "/", ":", "-", "_", "~", ".", "%", "=", "+", " ", "é"]
    keys = {}
    for length in (1, 2, 3):
        for chars in itertools.product(alphabet, repeat=length):
            symbol = "".join(chars)
            key = symbol_key(symbol)
            assert symbol_from_key(key) == symbol
            assert set(key) <= SAFE, key  # no '/', '=', '%' or space: one hive path segment
            assert keys.setdefault(key, symbol) == symbol, f"{symbol!r} and {keys[key]!r} share {key!r}"
    assert len(keys) == sum(len(alphabet) ** n for n in (1, 2, 3))


@pytest.mark.parametrize("key, message", [
    ("", "is empty"),
    ("BTC~2", "not followed by two lowercase hex digits"),
    ("BTC~2D", "not followed by two lowercase hex digits"),
    ("BTC USDT", "' ' at 3 is not produced by symbol_key"),
    ("~41", "is not symbol_key's spelling of 'A'"),          # one symbol, one partition name
    ("~2f", "is not symbol_key's spelling of '/'"),
    ("~ff", "not UTF-8"),
])
def test_a_key_symbol_key_never_writes_is_refused_by_name(key, message):
    with pytest.raises(ValueError, match=message):
        symbol_from_key(key)


def test_an_empty_symbol_is_refused():
    with pytest.raises(ValueError, match="symbol is empty"):
        symbol_key("")


def test_landed_partitions_read_back_through_hive_partitioning_decode_to_their_symbols(tmp_path):
    """pyarrow URL-decodes hive values; the '~' escapes pass through it untouched."""
    candles = pd.DataFrame({
        "timestamp": pd.to_datetime(["2024-03-01 00:00"], utc=True).astype("datetime64[ms, UTC]"),
        "open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0], "volume": [1.0],
    })
    for symbol in FORMS:
        series = Series(exchange="sim_alpha", symbol=symbol, timeframe="1m")
        parts = ("exchange=sim_alpha", f"symbol={FORMS[symbol]}", "timeframe=1m")  # one folder per symbol
        assert series_dir(tmp_path, series).relative_to(tmp_path).parts == parts
        store_candles(tmp_path, series, candles)
    landed = pd.read_parquet(tmp_path)
    assert sorted(symbol_from_key(k) for k in landed["symbol"].astype(str)) == sorted(FORMS)
