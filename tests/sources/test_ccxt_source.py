"""The ccxt candle source against recorded exchange HTTP responses.

Only the HTTP layer is faked (the `responses` library patches requests'
transport adapter), so ccxt's own request building (URLs, query parameters,
rate limiter, error mapping) and its response parsing run unmodified.

Each fake exchange below serves the public REST endpoints that ccxt's
`load_markets()` and `fetch_ohlcv()` call, with bodies in the exchange's real
wire format, kept as JSON files under tests/fixtures/ccxt/ (written by hand in
that format: the exchanges cannot be reached from the test machines). The candle
endpoints are callbacks that read the query string the way the exchange does
(binance: startTime/limit, kraken: since in seconds exclusive and a 720-row cap,
coinbase: start/end window in seconds, newest first) and serve the matching
slice of a candle table, so pagination in `fetch_candles` is exercised for real.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import pytest
import requests
import responses

from include.errors import (
    MalformedDataError,
    SourceError,
    TransientSourceError,
    UnknownSymbolError,
    UnsupportedTimeframeError,
)
from include.sources.base import check_listing
from include.sources.ccxt_source import make_ccxt_client
from include.sources.paging import fetch_candles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ccxt"

MINUTE = 60_000
HOUR = 3_600_000
T0 = 1_709_251_200_000  # 2024-03-01 00:00:00 UTC, first candle asked for in every test
END_OF_DAY = T0 + 24 * HOUR  # later than "now" in every test: fetch_candles clips it


def at(hour: int, minute: int = 0) -> pd.Timestamp:
    """2024-03-01 hh:mm UTC."""
    return pd.Timestamp(T0 + hour * HOUR + minute * MINUTE, unit="ms", tz="UTC")


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def json_answer(status: int, payload) -> tuple[int, dict, str]:
    return status, {"Content-Type": "application/json;charset=UTF-8"}, json.dumps(payload)


def text_answer(status: int, body: str, content_type: str = "text/html") -> tuple[int, dict, str]:
    return status, {"Content-Type": content_type}, body


# --------------------------------------------------------------------------- fake exchanges


class FakeExchange:
    """Common plumbing: request log, queued faults for the candle endpoint."""

    candle_path: str  # regex of the candle endpoint's path

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps
        self.requests: list[tuple[str, dict]] = []  # (path, query) of every request, in order
        self.faults: list = []  # answers the candle endpoint serves first, in order (None: serve normally)
        self.served: list[list[int]] = []  # open times (ms) of every candle page served

    def route(self, pattern: str, handler) -> None:
        def callback(request):
            url = urlsplit(request.url)
            query = dict(parse_qsl(url.query))
            self.requests.append((url.path, query))
            return handler(query, re.match(pattern, request.url))

        self.rsps.add_callback(responses.GET, re.compile(pattern), callback=callback)

    def next_fault(self):
        """The next queued answer: (status, headers, body), an exception to raise, or None (serve normally)."""
        return self.faults.pop(0) if self.faults else None

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def candle_queries(self) -> list[dict]:
        """Query strings of the candle requests, in order."""
        return [query for path, query in self.requests if re.fullmatch(self.candle_path, path)]


class FakeBinance(FakeExchange):
    """api.binance.com spot: GET /api/v3/exchangeInfo and /api/v3/klines."""

    candle_path = "/api/v3/klines"

    def __init__(self, rsps):
        super().__init__(rsps)
        self.exchange_info = load("binance_exchangeInfo.json")
        self.klines = {("BTCUSDT", "1h"): load("binance_klines_BTCUSDT_1h.json")}
        base = r"https://api\.binance\.com"
        self.route(base + r"/api/v3/exchangeInfo(\?.*)?$", lambda q, m: json_answer(200, self.exchange_info))
        self.route(base + r"/api/v3/klines\?.*$", self._klines)

    def _klines(self, query, _match):
        fault = self.next_fault()
        if fault is not None:
            return fault
        listed = {s["symbol"] for s in self.exchange_info["symbols"]}
        if query.get("symbol") not in listed:
            return json_answer(400, load("binance_error_invalid_symbol.json"))
        limit = int(query.get("limit", 500))
        if not 1 <= limit <= 1000:
            return json_answer(400, {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."})
        rows = self.klines.get((query["symbol"], query["interval"]), [])
        if "startTime" in query:  # open time >= startTime, oldest first, at most `limit`
            page = [r for r in rows if r[0] >= int(query["startTime"])][:limit]
        else:  # no startTime: the most recent `limit` candles
            page = rows[-limit:]
        self.served.append([r[0] for r in page])
        return json_answer(200, page)


class FakeKraken(FakeExchange):
    """api.kraken.com: GET /0/public/Assets, /0/public/AssetPairs and /0/public/OHLC."""

    candle_path = "/0/public/OHLC"
    MAX_ROWS = 720  # OHLC ignores any count and answers at most 720 rows

    def __init__(self, rsps):
        super().__init__(rsps)
        self.pairs = load("kraken_AssetPairs.json")
        # (pair id, interval in minutes) -> rows [time_s, open, high, low, close, vwap, volume, count]
        self.ohlc = {("XXBTZUSD", 60): load("kraken_OHLC_XXBTZUSD_1h.json")["result"]["XXBTZUSD"]}
        base = r"https://api\.kraken\.com/0/public"
        self.route(base + r"/Assets(\?.*)?$", lambda q, m: json_answer(200, load("kraken_Assets.json")))
        self.route(base + r"/AssetPairs(\?.*)?$", lambda q, m: json_answer(200, self.pairs))
        self.route(base + r"/OHLC\?.*$", self._ohlc)

    def _ohlc(self, query, _match):
        fault = self.next_fault()
        if fault is not None:
            return fault
        by_altname = {p["altname"]: pid for pid, p in self.pairs["result"].items()}
        pair = by_altname.get(query.get("pair"), query.get("pair"))
        if pair not in self.pairs["result"]:
            return json_answer(200, load("kraken_error_unknown_pair.json"))
        interval = int(query.get("interval", 1))
        if interval not in (1, 5, 15, 30, 60, 240, 1440, 10080, 21600):
            return json_answer(200, {"error": ["EGeneral:Invalid arguments"]})
        since = int(query.get("since", 0))  # seconds, exclusive: rows strictly newer than `since`
        page = [r for r in self.ohlc.get((pair, interval), []) if r[0] > since][: self.MAX_ROWS]
        self.served.append([r[0] * 1000 for r in page])
        last = page[-1][0] if page else since
        return json_answer(200, {"error": [], "result": {pair: page, "last": last}})


class FakeCoinbase(FakeExchange):
    """api.coinbase.com: v2 currencies/exchange-rates and v3 advanced-trade public market endpoints."""

    candle_path = r"/api/v3/brokerage/market/products/[A-Z0-9-]+/candles"
    GRANULARITY_S = {"ONE_MINUTE": 60, "FIVE_MINUTE": 300, "FIFTEEN_MINUTE": 900, "THIRTY_MINUTE": 1800,
                     "ONE_HOUR": 3600, "TWO_HOUR": 7200, "SIX_HOUR": 21600, "ONE_DAY": 86400}

    def __init__(self, rsps):
        super().__init__(rsps)
        self.products = load("coinbase_v3_market_products.json")
        # (product id, granularity) -> candles as recorded (newest first)
        self.candles = {("BTC-USD", "ONE_HOUR"): load("coinbase_candles_BTC-USD_1h.json")["candles"]}
        base = r"https://api\.coinbase\.com"
        self.route(base + r"/v2/currencies(\?.*)?$", lambda q, m: json_answer(200, load("coinbase_v2_currencies.json")))
        self.route(base + r"/v2/currencies/crypto(\?.*)?$",
                   lambda q, m: json_answer(200, load("coinbase_v2_currencies_crypto.json")))
        self.route(base + r"/v2/exchange-rates(\?.*)?$",
                   lambda q, m: json_answer(200, load("coinbase_v2_exchange-rates.json")))
        self.route(base + r"/api/v3/brokerage/market/products(\?.*)?$", self._products)
        self.route(base + r"/api/v3/brokerage/market/products/([A-Z0-9-]+)/candles\?.*$", self._candles)

    def _products(self, query, _match):
        if query.get("product_type") == "FUTURE":  # ccxt also asks for futures and perpetuals
            return json_answer(200, load("coinbase_v3_market_products_future.json"))
        return json_answer(200, self.products)

    def _candles(self, query, match):
        fault = self.next_fault()
        if fault is not None:
            return fault
        product_id = match.group(1)
        if product_id not in {p["product_id"] for p in self.products["products"]}:
            return json_answer(404, {"error": "NOT_FOUND", "error_details": "ProductID is invalid",
                                     "message": "ProductID is invalid"})
        granularity = self.GRANULARITY_S.get(query.get("granularity"))
        start, end = int(query["start"]), int(query["end"])
        if granularity is None or end < start:
            return json_answer(400, {"error": "INVALID_ARGUMENT", "error_details": "invalid granularity or range",
                                     "message": "invalid granularity or range"})
        if (end - start) // granularity > 350:
            msg = "number of candles requested should be less than 350"
            return json_answer(400, {"error": "INVALID_ARGUMENT", "error_details": msg, "message": msg})
        rows = self.candles.get((product_id, query["granularity"]), [])
        page = [c for c in rows if start <= int(c["start"]) <= end]  # both ends inclusive
        page.sort(key=lambda c: int(c["start"]), reverse=True)  # newest first, like the exchange
        self.served.append([int(c["start"]) * 1000 for c in page])
        return json_answer(200, {"candles": page})


FAKES = {"binance": FakeBinance, "kraken": FakeKraken, "coinbase": FakeCoinbase}


@pytest.fixture
def rsps():
    # Any URL not routed by a fake raises ConnectionError: no real network access.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_client(exchange_id: str):
    client = make_ccxt_client(exchange_id)
    assert client.enableRateLimit is True  # the limiter stays on ...
    client.rateLimit = 1  # ... but waits 1 ms per request instead of up to a second
    return client


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff delays requested by fetch_candles, recorded instead of slept."""
    return []


def retry(sleeps: list[float], **overrides) -> dict:
    return {"sleep": sleeps.append, "base_delay": 0.25, "retries": 5, **overrides}


def assert_clean_frame(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == ["timestamp", "open", "high", "low", "close", "volume"]
    assert str(frame["timestamp"].dtype) == "datetime64[ms, UTC]"
    assert all(str(frame[c].dtype) == "float64" for c in ["open", "high", "low", "close", "volume"])
    assert frame["timestamp"].is_unique
    assert frame["timestamp"].is_monotonic_increasing
    assert frame.notna().all().all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()


def row(frame: pd.DataFrame, ts: pd.Timestamp) -> list[float]:
    match = frame[frame["timestamp"] == ts]
    assert len(match) == 1, f"no single row at {ts}"
    return match[["open", "high", "low", "close", "volume"]].iloc[0].tolist()


# --------------------------------------------------------------------------- 1. markets and listing

LISTING = {
    "binance": {
        "market_paths": ["/api/v3/exchangeInfo"],
        "symbols": {"BTC/USDT", "ETH/USDT"},
        "listed": "BTC/USDT",
        "id": "BTCUSDT",
        "precision": {"price": 0.01, "amount": 0.00001},
        "min_amount": 0.00001,
        "unlisted": "DOGE/USDT",
        "bad_timeframe": "10m",
    },
    "kraken": {
        "market_paths": ["/0/public/Assets", "/0/public/AssetPairs"],
        "symbols": {"BTC/USD", "ETH/USD"},
        "listed": "BTC/USD",
        "id": "XXBTZUSD",
        "precision": {"price": 0.1, "amount": 0.00000001},
        "min_amount": 0.0001,
        "unlisted": "SOL/USD",
        "bad_timeframe": "2h",
    },
    "coinbase": {
        "market_paths": [
            "/v2/currencies",
            "/v2/currencies/crypto",
            "/v2/exchange-rates",
            "/api/v3/brokerage/market/products",
            "/api/v3/brokerage/market/products",  # product_type=FUTURE
            "/api/v3/brokerage/market/products",  # product_type=FUTURE, contract_expiry_type=PERPETUAL
        ],
        "symbols": {"BTC/USD", "ETH/USD"},
        "listed": "BTC/USD",
        "id": "BTC-USD",
        "precision": {"price": 0.01, "amount": 0.00000001},
        "min_amount": 0.00000001,
        "unlisted": "BTC/EUR",
        "bad_timeframe": "4h",
    },
}


@pytest.mark.parametrize("exchange_id", LISTING)
def test_load_markets_parses_recorded_markets(rsps, exchange_id):
    spec = LISTING[exchange_id]
    fake = FAKES[exchange_id](rsps)
    client = make_client(exchange_id)

    markets = client.load_markets()

    assert fake.paths() == spec["market_paths"]
    assert set(markets) == spec["symbols"]
    market = markets[spec["listed"]]
    assert market["id"] == spec["id"]
    assert market["spot"] is True and market["type"] == "spot"
    assert market["active"] is True
    assert market["precision"]["price"] == pytest.approx(spec["precision"]["price"])
    assert market["precision"]["amount"] == pytest.approx(spec["precision"]["amount"])
    assert market["limits"]["amount"]["min"] == pytest.approx(spec["min_amount"])
    client.load_markets()  # cached: no second round of requests
    assert len(fake.requests) == len(spec["market_paths"])


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_accepts_listed_symbol_and_timeframe(rsps, exchange_id):
    spec = LISTING[exchange_id]
    fake = FAKES[exchange_id](rsps)
    client = make_client(exchange_id)
    for symbol in spec["symbols"]:
        check_listing(client, symbol, "1h")  # raises on an unlisted symbol or timeframe

    # the markets were loaded once (then cached) and no candles were asked for
    assert fake.paths() == spec["market_paths"]
    assert set(client.markets) == spec["symbols"]
    assert not fake.candle_queries()


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_unlisted_symbol_names_symbol_and_exchange(rsps, exchange_id):
    spec = LISTING[exchange_id]
    fake = FAKES[exchange_id](rsps)
    client = make_client(exchange_id)

    expected = f"symbol {spec['unlisted']!r} is not listed on exchange {exchange_id!r}; did you mean "
    with pytest.raises(UnknownSymbolError, match=re.escape(expected)) as info:
        check_listing(client, spec["unlisted"], "1h")

    suggestions = str(info.value).split("did you mean ", 1)[1].rstrip("?").split(", ")
    assert spec["listed"] in suggestions
    assert set(suggestions) <= spec["symbols"]
    assert not fake.candle_queries()


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_unsupported_timeframe(rsps, exchange_id):
    spec = LISTING[exchange_id]
    FAKES[exchange_id](rsps)
    client = make_client(exchange_id)

    expected = f"timeframe {spec['bad_timeframe']!r} is not offered by exchange {exchange_id!r}; valid: "
    with pytest.raises(UnsupportedTimeframeError, match=re.escape(expected)) as info:
        check_listing(client, spec["listed"], spec["bad_timeframe"])

    valid = str(info.value).split("valid: ", 1)[1].split(", ")  # lists what would be valid
    assert "1h" in valid and spec["bad_timeframe"] not in valid


# --------------------------------------------------------------------------- 2. pagination

BINANCE_NOW = T0 + 9 * HOUR + 20 * MINUTE  # 09:20: the 09:00 candle is still forming


def test_binance_fetch_candles_pages_by_start_time_and_limit(rsps, sleeps):
    fake = FakeBinance(rsps)
    client = make_client("binance")

    frame = fetch_candles(client, "BTC/USDT", "1h", T0, END_OF_DAY, BINANCE_NOW, limit=4, retry=retry(sleeps))

    # three pages of at most 4 rows, each starting one hour after the newest row of the last
    assert fake.candle_queries() == [
        {"symbol": "BTCUSDT", "interval": "1h", "limit": "4", "startTime": str(T0)},
        {"symbol": "BTCUSDT", "interval": "1h", "limit": "4", "startTime": str(T0 + 4 * HOUR)},
        {"symbol": "BTCUSDT", "interval": "1h", "limit": "4", "startTime": str(T0 + 8 * HOUR)},
    ]
    assert fake.served[-1] == [T0 + 8 * HOUR, T0 + 9 * HOUR]  # the server did send the forming candle
    assert len(frame) == 9
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(8)  # 09:00 dropped: it closes after now
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61468.27, 61728.67, 61440.38, 61586.65, 825.08476196]
    assert row(frame, at(3)) == [60845.20, 61411.13, 60796.57, 61124.83, 1729.13012118]  # end of page 1
    assert row(frame, at(4)) == [61124.83, 61316.90, 60723.14, 60829.22, 1101.73819540]  # start of page 2
    assert row(frame, at(8)) == [61528.07, 61614.47, 61205.68, 61470.98, 2497.50653338]
    assert sleeps == []


KRAKEN_T0_S = T0 // 1000


def kraken_minute_row(k: int) -> list:
    """Candle k minutes after T0 as the OHLC endpoint sends it: price moves $0.50 a minute."""
    open_10 = 610_000 + 5 * k  # prices in tenths of a dollar, like XBT/USD's 1-decimal tick
    fmt = lambda tenths: f"{tenths / 10:.1f}"  # noqa: E731
    volume = 1 + (k % 10) / 8
    return [KRAKEN_T0_S + 60 * k, fmt(open_10), fmt(open_10 + 25), fmt(open_10 - 15), fmt(open_10 + 5),
            fmt(open_10 + 3), f"{volume:.8f}", 20 + k % 7]


def test_kraken_fetch_candles_pages_past_the_720_row_cap(rsps, sleeps):
    fake = FakeKraken(rsps)
    # 5 minutes of older history, 800 closed minutes from T0, and the still-forming minute 800
    fake.ohlc[("XXBTZUSD", 1)] = [kraken_minute_row(k) for k in range(-5, 801)]
    now = T0 + 800 * MINUTE + 25_000
    client = make_client("kraken")

    frame = fetch_candles(client, "BTC/USD", "1m", T0, END_OF_DAY, now, limit=720, retry=retry(sleeps))

    # ccxt sends since in seconds, one candle early (kraken's since is exclusive), and no count:
    # kraken decides the page size (720)
    assert fake.candle_queries() == [
        {"pair": "XXBTZUSD", "interval": "1", "since": str(KRAKEN_T0_S - 60)},
        {"pair": "XXBTZUSD", "interval": "1", "since": str(KRAKEN_T0_S + 719 * 60)},
    ]
    assert [len(page) for page in fake.served] == [720, 81]
    assert fake.served[-1][-1] == T0 + 800 * MINUTE  # the forming minute was served ...
    assert len(frame) == 800
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(13, 19)  # ... and dropped: minute 799 is the last
    assert (frame["timestamp"].diff().dropna() == pd.Timedelta(minutes=1)).all()
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61000.0, 61002.5, 60998.5, 61000.5, 1.0]
    assert row(frame, at(11, 59)) == [61359.5, 61362.0, 61358.0, 61360.0, 2.125]  # last of page 1
    assert row(frame, at(12, 0)) == [61360.0, 61362.5, 61358.5, 61360.5, 1.0]  # first of page 2
    assert row(frame, at(13, 19)) == [61399.5, 61402.0, 61398.0, 61400.0, 2.125]
    assert sleeps == []


def test_coinbase_fetch_candles_pages_by_start_end_windows(rsps, sleeps):
    fake = FakeCoinbase(rsps)
    client = make_client("coinbase")

    frame = fetch_candles(client, "BTC/USD", "1h", T0, END_OF_DAY, BINANCE_NOW, limit=4, retry=retry(sleeps))

    # ccxt asks for [since, since + limit * 1h] in seconds; the server answers newest first
    # and includes the end bucket, ccxt sorts and trims to `limit`
    t0 = T0 // 1000
    assert fake.candle_queries() == [
        {"granularity": "ONE_HOUR", "start": str(t0), "end": str(t0 + 4 * 3600)},
        {"granularity": "ONE_HOUR", "start": str(t0 + 4 * 3600), "end": str(t0 + 8 * 3600)},
        {"granularity": "ONE_HOUR", "start": str(t0 + 8 * 3600), "end": str(t0 + 12 * 3600)},
    ]
    assert fake.served[0] == [T0 + h * HOUR for h in (4, 3, 2, 1, 0)]
    assert fake.served[-1] == [T0 + 9 * HOUR, T0 + 8 * HOUR]  # includes the forming 09:00 candle
    assert len(frame) == 9
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(8)
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61286.62, 61394.93, 60916.16, 61169.53, 897.05884262]
    assert row(frame, at(3)) == [60789.67, 61072.31, 60132.38, 60361.80, 457.72144258]
    assert row(frame, at(4)) == [60361.80, 60383.94, 60027.68, 60186.68, 745.84306205]
    assert row(frame, at(8)) == [60707.43, 60944.10, 60542.26, 60580.37, 243.42018735]
    assert sleeps == []


def test_coinbase_gap_without_trades_does_not_end_pagination(rsps, sleeps):
    fake = FakeCoinbase(rsps)
    key = ("BTC-USD", "ONE_HOUR")
    no_trades = {T0 // 1000 + h * 3600 for h in (4, 5, 6)}  # three hourly buckets without trades
    fake.candles[key] = [c for c in fake.candles[key] if int(c["start"]) not in no_trades]
    client = make_client("coinbase")

    frame = fetch_candles(client, "BTC/USD", "1h", T0, END_OF_DAY, BINANCE_NOW, limit=2, retry=retry(sleeps))

    assert list(frame["timestamp"]) == [at(h) for h in (0, 1, 2, 3, 7, 8)]


# --------------------------------------------------------------------------- 3. faults

BINANCE_EXPECTED_ROWS = 9  # 00:00 .. 08:00, see the pagination test
RATE_LIMITED = json_answer(429, {
    "code": -1003,
    "msg": "Too many requests; current limit of IP(203.0.113.7) is 6000 requests per minute. "
           "Please use the websocket for live updates to avoid polling the API.",
})


def binance_fetch(fake_retry: dict, limit: int = 4):
    client = make_client("binance")
    return fetch_candles(client, "BTC/USDT", "1h", T0, END_OF_DAY, BINANCE_NOW, limit=limit, retry=fake_retry)


def test_binance_429_then_success_backs_off_exponentially(rsps, sleeps):
    fake = FakeBinance(rsps)
    fake.faults = [RATE_LIMITED, RATE_LIMITED, RATE_LIMITED]

    frame = binance_fetch(retry(sleeps))

    assert sleeps == [0.25, 0.5, 1.0]  # base_delay * 2**attempt
    assert len(fake.candle_queries()) == 3 + 3  # three refused, then the three pages
    assert {q["startTime"] for q in fake.candle_queries()[:4]} == {str(T0)}  # same page retried
    assert len(frame) == BINANCE_EXPECTED_ROWS
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)


@pytest.mark.parametrize("timeout", [
    requests.exceptions.ReadTimeout("HTTPSConnectionPool(host='api.binance.com', port=443): Read timed out. "
                                    "(read timeout=30.0)"),
    requests.exceptions.ConnectTimeout("HTTPSConnectionPool(host='api.binance.com', port=443): Max retries "
                                       "exceeded (connect timeout=30.0)"),
], ids=["read-timeout", "connect-timeout"])
def test_binance_timeout_then_success_is_retried(rsps, sleeps, timeout):
    fake = FakeBinance(rsps)
    fake.faults = [timeout, timeout]

    frame = binance_fetch(retry(sleeps))

    assert sleeps == [0.25, 0.5]
    assert len(fake.candle_queries()) == 2 + 3
    assert len(frame) == BINANCE_EXPECTED_ROWS
    assert frame["timestamp"].iloc[-1] == at(8)
    assert_clean_frame(frame)


SERVER_ERRORS = {
    500: text_answer(500, ""),
    502: text_answer(502, "<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD>"
                          "<BODY><H1>502 ERROR</H1><H2>The request could not be satisfied.</H2></BODY></HTML>"),
    503: text_answer(503, "Service Unavailable", content_type="text/plain"),
}


@pytest.mark.parametrize("status", sorted(SERVER_ERRORS))
def test_binance_server_error_then_success_is_retried(rsps, sleeps, status):
    fake = FakeBinance(rsps)
    fake.faults = [None, SERVER_ERRORS[status]]  # page 1 answered, page 2 fails once

    frame = binance_fetch(retry(sleeps))

    assert sleeps == [0.25]
    starts = [q["startTime"] for q in fake.candle_queries()]
    assert starts == [str(T0), str(T0 + 4 * HOUR), str(T0 + 4 * HOUR), str(T0 + 8 * HOUR)]
    assert len(frame) == BINANCE_EXPECTED_ROWS
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)


@pytest.mark.parametrize("status,payload", [
    (500, {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}),
    (503, {"code": -1008, "msg": "Server is currently overloaded with other requests. Please try again in a few minutes."}),
], ids=["500-1001", "503-1008"])
def test_binance_server_busy_error_code_is_retried(rsps, sleeps, status, payload):
    fake = FakeBinance(rsps)
    fake.faults = [json_answer(status, payload)]

    frame = binance_fetch(retry(sleeps))

    assert sleeps == [0.25]
    assert len(frame) == BINANCE_EXPECTED_ROWS


def test_binance_persistent_503_gives_up_with_source_error(rsps, sleeps):
    fake = FakeBinance(rsps)
    fake.faults = [SERVER_ERRORS[503]] * 50

    expected = "binance BTC/USDT 1h since 2024-03-01 00:00: gave up after 5 attempts: ExchangeNotAvailable: "
    with pytest.raises(TransientSourceError, match=re.escape(expected)) as info:
        binance_fetch(retry(sleeps, retries=4, base_delay=1.0, max_delay=3.0))

    assert str(info.value).endswith("503 Service Unavailable Service Unavailable")
    assert len(fake.candle_queries()) == 5  # 1 + 4 retries, then stop
    assert sleeps == [1.0, 2.0, 3.0, 3.0]  # exponential, capped at max_delay


BINANCE_PAGE_1 = "binance BTC/USDT 1h since 2024-03-01 00:00"
MALFORMED = [  # (answer, the start of the one error message)
    pytest.param(
        text_answer(200, "<html><head><title>Maintenance</title></head><body>Binance is upgrading</body></html>"),
        f"{BINANCE_PAGE_1}: malformed answer: BadResponse: binance GET https://api.binance.com/api/v3/klines?"
        "interval=1h&limit=4&symbol=BTCUSDT&startTime=1709251200000: answer is not JSON: '<html><head>",
        id="html-not-json"),
    pytest.param(
        text_answer(200, '[[1709251200000,"61468.27","61728.67","61440.', content_type="application/json"),
        f"{BINANCE_PAGE_1}: malformed answer: BadResponse: binance GET https://api.binance.com/api/v3/klines?"
        """interval=1h&limit=4&symbol=BTCUSDT&startTime=1709251200000: answer is not JSON: '[[1709251200000,"61468.27",""",
        id="truncated-json"),
    pytest.param(
        json_answer(200, {"symbol": "BTCUSDT", "klines": []}),
        f"{BINANCE_PAGE_1}: expected a list of OHLCV rows ['timestamp', 'open', 'high', 'low', 'close', 'volume'], "
        "got a JSON object with keys 'symbol', 'klines'",
        id="dict-not-list"),
    pytest.param(  # ccxt's parser would fail on it with a bare KeyError: 0; the keys are listed, at most 8
        json_answer(200, {f"field_{k}": k for k in range(11)}),
        f"{BINANCE_PAGE_1}: expected a list of OHLCV rows ['timestamp', 'open', 'high', 'low', 'close', 'volume'], "
        "got a JSON object with keys 'field_0', 'field_1', 'field_2', 'field_3', 'field_4', 'field_5', 'field_6', "
        "'field_7' and 3 more",
        id="dict-with-many-keys"),
    pytest.param(  # ccxt pads the short row with None: low, close and volume are missing
        json_answer(200, [[1709251200000, "61468.27", "61728.67"]]),
        "binance BTC/USDT 1h: 1 row(s) with a missing or non-numeric value, first at 1709251200000: "
        "[1709251200000.0, 61468.27, 61728.67, nan, nan, nan]",
        id="rows-of-3-fields"),
    pytest.param(
        json_answer(200, [[1709251200000, "61468.27", "n/a", "61440.38", "61586.65", "825.08476196",
                           1709254799999, "50765369.68810342", 112226, "437.29492384", "26905645.93476865", "0"]]),
        "binance BTC/USDT 1h: 1 row(s) with a missing or non-numeric value, first at 1709251200000: "
        "[1709251200000.0, 61468.27, nan, 61440.38, 61586.65, 825.08476196]",
        id="non-numeric-price"),
]


@pytest.mark.parametrize("answer,message", MALFORMED)
def test_binance_malformed_payload_fails_at_once_without_retry(rsps, sleeps, answer, message):
    fake = FakeBinance(rsps)
    fake.faults = [answer]

    with pytest.raises(MalformedDataError, match=re.escape(message)):
        binance_fetch(retry(sleeps))

    assert len(fake.candle_queries()) == 1
    assert sleeps == []


def test_binance_object_instead_of_klines_names_exchange_symbol_and_keys(rsps, sleeps):
    """Binance's restricted-location body (binance_klines_restricted_location.json; Binance sends it with
    HTTP 451) relayed with 200, e.g. by a proxy: code 0 passes ccxt's error check and reaches its kline
    parser, which fails on an object with a bare KeyError: 0."""
    fake = FakeBinance(rsps)
    fake.faults = [json_answer(200, load("binance_klines_restricted_location.json"))]

    expected = ("binance BTC/USDT 1h since 2024-03-01 00:00: expected a list of OHLCV rows "
                "['timestamp', 'open', 'high', 'low', 'close', 'volume'], got a JSON object with keys 'code', 'msg'")
    with pytest.raises(MalformedDataError, match=f"^{re.escape(expected)}$"):
        binance_fetch(retry(sleeps))

    assert len(fake.candle_queries()) == 1  # malformed: not retried
    assert sleeps == []


def test_binance_exchange_error_body_is_not_retried(rsps, sleeps):
    fake = FakeBinance(rsps)
    fake.faults = [json_answer(400, load("binance_error_invalid_symbol.json"))]

    expected = 'binance BTC/USDT 1h since 2024-03-01 00:00: BadSymbol: binance {"code": -1121, "msg": "Invalid symbol."}'
    with pytest.raises(SourceError, match=re.escape(expected)) as info:
        binance_fetch(retry(sleeps))

    assert type(info.value) is SourceError  # neither malformed nor transient
    assert len(fake.candle_queries()) == 1
    assert sleeps == []


KRAKEN_NOW = T0 + 7 * HOUR + 30 * MINUTE  # 07:30: the 07:00 candle of the recording is forming


def kraken_fetch(fake_retry: dict):
    client = make_client("kraken")
    return fetch_candles(client, "BTC/USD", "1h", T0, END_OF_DAY, KRAKEN_NOW, retry=fake_retry)


def test_kraken_rate_limit_error_body_then_success_is_retried(rsps, sleeps):
    fake = FakeKraken(rsps)
    # kraken refuses with HTTP 200 and an error list, not with a 429
    fake.faults = [json_answer(200, load("kraken_error_too_many_requests.json"))] * 2

    frame = kraken_fetch(retry(sleeps))

    assert sleeps == [0.25, 0.5]
    assert len(fake.candle_queries()) == 2 + 1
    assert len(frame) == 7  # 00:00 .. 06:00; 07:00 is still forming
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(6)
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61468.3, 61993.6, 61272.6, 61759.4, 221.2047423]  # volume, not vwap
    assert row(frame, at(6)) == [61322.0, 61517.0, 60782.6, 60921.2, 220.71935928]


def test_kraken_unknown_pair_error_is_not_retried(rsps, sleeps):
    fake = FakeKraken(rsps)
    fake.faults = [json_answer(200, load("kraken_error_unknown_pair.json"))]

    expected = 'kraken BTC/USD 1h since 2024-03-01 00:00: ExchangeError: kraken {"error": ["EQuery:Unknown asset pair"]}'
    with pytest.raises(SourceError, match=re.escape(expected)) as info:
        kraken_fetch(retry(sleeps))

    assert type(info.value) is SourceError  # neither malformed nor transient
    assert len(fake.candle_queries()) == 1
    assert sleeps == []


def test_kraken_non_json_answer_is_malformed(rsps, sleeps):
    fake = FakeKraken(rsps)
    fake.faults = [text_answer(200, "<html><body><h1>Kraken is down for maintenance</h1></body></html>")]

    expected = (
        "kraken BTC/USD 1h since 2024-03-01 00:00: malformed answer: BadResponse: kraken GET "
        "https://api.kraken.com/0/public/OHLC?pair=XXBTZUSD&interval=60&since=1709247600: answer is not JSON: "
        "'<html><body><h1>Kraken is down for maintenance</h1></body></html>'"
    )
    with pytest.raises(MalformedDataError, match=re.escape(expected) + "$"):
        kraken_fetch(retry(sleeps))

    assert len(fake.candle_queries()) == 1
