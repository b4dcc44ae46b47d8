"""The ccxt candle source against recorded bybit and okx HTTP responses.

Same approach as test_ccxt_source.py (whose plumbing is reused): only the HTTP
layer is faked, ccxt builds the requests and parses the answers unmodified.

Endpoints ccxt calls for an unauthenticated spot-only client (make_ccxt_client
sets options.fetchMarkets.types = ['spot']), read from ccxt's bybit.py / okx.py:

bybit (https://api.bybit.com)
  load_markets: GET /v5/market/instruments-info?category=spot. fetch_currencies would
                call the private /v5/asset/coin/query-info but returns {} without keys.
  fetch_ohlcv:  GET /v5/market/kline?symbol&start&limit&interval&category=spot. The
                answer lists candles newest first; with only `start` it holds the oldest
                `limit` candles whose interval ends after `start` (a candle containing
                `start` is included). Errors come as HTTP 200 with a non-zero retCode.
okx (https://www.okx.com)
  load_markets: GET /api/v5/public/instruments?instType=SPOT. fetch_currencies needs
                keys (private /api/v5/asset/currencies) and returns {} without them.
  fetch_ohlcv:  GET /api/v5/market/candles (the most recent 1440 bars) or, when
                `since` is older than 1439 bars before ccxt's clock,
                /api/v5/market/history-candles; both with instId, bar, limit,
                before=since-1 and after=since+limit*bar (exclusive bounds: before < ts
                < after), newest first. The 9th field, confirm, is "0" on the candle
                still forming. ccxt ignores it; fetch_candles drops that candle by time.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from include.errors import SourceError, UnknownSymbolError, UnsupportedTimeframeError
from include.sources.base import check_listing
from include.sources.paging import fetch_candles

from .test_ccxt_source import (  # noqa: F401  (rsps, sleeps: pytest fixtures)
    END_OF_DAY,
    HOUR,
    MINUTE,
    T0,
    FakeExchange,
    assert_clean_frame,
    at,
    json_answer,
    load,
    make_client,
    retry,
    row,
    rsps,
    sleeps,
)

DAY = 24 * HOUR
NOW = T0 + 9 * HOUR + 20 * MINUTE  # 09:20: the recordings' 09:00 candle is still forming


# --------------------------------------------------------------------------- fake exchanges


class FakeBybit(FakeExchange):
    """api.bybit.com v5: GET /v5/market/instruments-info and /v5/market/kline."""

    candle_path = "/v5/market/kline"
    INTERVAL_MS = {"1": MINUTE, "3": 3 * MINUTE, "5": 5 * MINUTE, "15": 15 * MINUTE, "30": 30 * MINUTE,
                   "60": HOUR, "120": 2 * HOUR, "240": 4 * HOUR, "360": 6 * HOUR, "720": 12 * HOUR,
                   "D": DAY, "W": 7 * DAY}
    MAX_ROWS = 1000

    def __init__(self, rsps):
        super().__init__(rsps)
        self.instruments = load("bybit_v5_market_instruments-info_spot.json")
        # (symbol, interval) -> rows [start_ms, open, high, low, close, volume, turnover] as recorded (newest first)
        self.klines = {("BTCUSDT", "60"): load("bybit_v5_market_kline_BTCUSDT_60.json")["result"]["list"]}
        base = r"https://api\.bybit\.com"
        self.route(base + r"/v5/market/instruments-info\?.*$", self._instruments)
        self.route(base + r"/v5/market/kline\?.*$", self._kline)

    @staticmethod
    def answer(result: dict) -> tuple[int, dict, str]:
        return json_answer(200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {},
                                 "time": 1709284792000})

    def _instruments(self, query, _match):
        if query.get("category") == "spot":
            return json_answer(200, self.instruments)
        return self.answer({"category": query.get("category"), "list": [], "nextPageCursor": ""})

    def _kline(self, query, _match):
        fault = self.next_fault()
        if fault is not None:
            return fault
        listed = {m["symbol"] for m in self.instruments["result"]["list"]}
        if query.get("category") != "spot" or query.get("symbol") not in listed:
            return json_answer(200, load("bybit_error_not_supported_symbols.json"))
        step = self.INTERVAL_MS.get(query.get("interval"))
        if step is None:
            return json_answer(200, {"retCode": 10001, "retMsg": "Invalid period!", "result": {},
                                     "retExtInfo": {}, "time": 1709284792000})
        limit = min(int(query.get("limit", 200)), self.MAX_ROWS)
        rows = sorted(self.klines.get((query["symbol"], query["interval"]), []), key=lambda r: int(r[0]))
        if "start" in query:  # every candle whose interval ends after start
            rows = [r for r in rows if int(r[0]) + step > int(query["start"])]
        if "end" in query:
            rows = [r for r in rows if int(r[0]) <= int(query["end"])]
        page = rows[:limit] if "start" in query else rows[-limit:]
        page.reverse()  # newest first, like the exchange
        self.served.append([int(r[0]) for r in page])
        return self.answer({"category": "spot", "symbol": query["symbol"], "list": page})


class FakeOkx(FakeExchange):
    """www.okx.com v5: GET /api/v5/public/instruments, /market/candles and /market/history-candles."""

    candle_path = r"/api/v5/market/(history-)?candles"
    BAR_MS = {"1m": MINUTE, "3m": 3 * MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE,
              "1H": HOUR, "2H": 2 * HOUR, "4H": 4 * HOUR, "6H": 6 * HOUR, "12H": 12 * HOUR, "1D": DAY,
              "6Hutc": 6 * HOUR, "12Hutc": 12 * HOUR, "1Dutc": DAY, "1Wutc": 7 * DAY}
    RECENT_BARS = 1440  # /market/candles only serves the latest 1440 bars
    MAX_ROWS = {"candles": 300, "history-candles": 100}

    def __init__(self, rsps, now_ms: int):
        super().__init__(rsps)
        self.now_ms = now_ms  # when the candle tables were "recorded"
        self.instruments = load("okx_public_instruments_SPOT.json")
        # (instId, bar) -> rows [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm] as recorded (newest first)
        self.candles = {("BTC-USDT", "1H"): load("okx_market_candles_BTC-USDT_1H.json")["data"]}
        self.served_rows: list[list] = []  # every candle row served, as sent
        base = r"https://www\.okx\.com/api/v5"
        self.route(base + r"/public/instruments\?.*$", self._instruments)
        self.route(base + r"/market/(history-candles|candles)\?.*$", self._candles)

    def _instruments(self, query, _match):
        if query.get("instType") == "SPOT":
            return json_answer(200, self.instruments)
        return json_answer(200, {"code": "0", "data": [], "msg": ""})

    def _candles(self, query, match):
        fault = self.next_fault()
        if fault is not None:
            return fault
        endpoint = match.group(1)
        if query.get("instId") not in {i["instId"] for i in self.instruments["data"]}:
            return json_answer(200, load("okx_error_instrument_not_exist.json"))
        step = self.BAR_MS.get(query.get("bar"))
        if step is None:
            return json_answer(400, {"code": "51000", "data": [], "msg": "Parameter bar error"})
        limit = min(int(query.get("limit", 100)), self.MAX_ROWS[endpoint])
        rows = sorted(self.candles.get((query["instId"], query["bar"]), []), key=lambda r: int(r[0]))
        if endpoint == "candles":
            oldest = self.now_ms - self.now_ms % step - (self.RECENT_BARS - 1) * step
            rows = [r for r in rows if int(r[0]) >= oldest]
        if "after" in query:  # records older than `after`
            rows = [r for r in rows if int(r[0]) < int(query["after"])]
        if "before" in query:  # records newer than `before`
            rows = [r for r in rows if int(r[0]) > int(query["before"])]
        page = rows[-limit:][::-1]  # the newest `limit`, newest first
        self.served.append([int(r[0]) for r in page])
        self.served_rows.extend(page)
        return json_answer(200, {"code": "0", "msg": "", "data": page})


def make_okx_client(now_ms: int = NOW):
    """An okx client whose clock reads now_ms: ccxt picks candles vs history-candles by it."""
    client = make_client("okx")
    client.milliseconds = lambda: now_ms
    return client


def make_fake(exchange_id: str, rsps):
    return FakeBybit(rsps) if exchange_id == "bybit" else FakeOkx(rsps, NOW)


# --------------------------------------------------------------------------- 1. markets and listing

LISTING = {
    "bybit": {
        "market_requests": [("/v5/market/instruments-info", {"category": "spot"})],
        "symbols": {"BTC/USDT", "ETH/USDT"},
        "id": "BTCUSDT",
        "precision": {"price": 0.01, "amount": 0.000001},
        "min_amount": 0.000048,
        "unlisted": "DOGE/USDT",
        "bad_timeframe": "8h",
    },
    "okx": {
        "market_requests": [("/api/v5/public/instruments", {"instType": "SPOT"})],
        "symbols": {"BTC/USDT", "ETH/USDT"},
        "id": "BTC-USDT",
        "precision": {"price": 0.1, "amount": 0.00000001},
        "min_amount": 0.00001,
        "unlisted": "SOL/USDT",
        "bad_timeframe": "10m",
    },
}


@pytest.mark.parametrize("exchange_id", LISTING)
def test_load_markets_parses_recorded_spot_markets(rsps, exchange_id):
    spec = LISTING[exchange_id]
    fake = make_fake(exchange_id, rsps)
    client = make_client(exchange_id)

    markets = client.load_markets()

    # spot instruments only, and no (private) currency endpoint without keys
    assert fake.requests == spec["market_requests"]
    assert set(markets) == spec["symbols"]
    market = markets["BTC/USDT"]
    assert market["id"] == spec["id"]
    assert (market["base"], market["quote"]) == ("BTC", "USDT")
    assert market["spot"] is True and market["type"] == "spot"
    assert market["active"] is True
    assert market["precision"]["price"] == pytest.approx(spec["precision"]["price"])
    assert market["precision"]["amount"] == pytest.approx(spec["precision"]["amount"])
    assert market["limits"]["amount"]["min"] == pytest.approx(spec["min_amount"])
    client.load_markets()  # cached: no second round of requests
    assert len(fake.requests) == len(spec["market_requests"])


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_accepts_listed_symbols(rsps, exchange_id):
    fake = make_fake(exchange_id, rsps)
    client = make_client(exchange_id)
    for symbol in sorted(LISTING[exchange_id]["symbols"]):
        check_listing(client, symbol, "1h")  # raises on an unlisted symbol or timeframe

    # the markets were loaded once (then cached) and no candles were asked for
    assert fake.requests == LISTING[exchange_id]["market_requests"]
    assert set(client.markets) == LISTING[exchange_id]["symbols"]


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_unlisted_symbol_names_symbol_and_exchange(rsps, exchange_id):
    spec = LISTING[exchange_id]
    fake = make_fake(exchange_id, rsps)
    client = make_client(exchange_id)

    expected = f"symbol {spec['unlisted']!r} is not listed on exchange {exchange_id!r}; did you mean "
    with pytest.raises(UnknownSymbolError, match=re.escape(expected)) as info:
        check_listing(client, spec["unlisted"], "1h")

    suggestions = str(info.value).split("did you mean ", 1)[1].rstrip("?").split(", ")
    assert "BTC/USDT" in suggestions
    assert set(suggestions) <= spec["symbols"]
    assert not fake.candle_queries()


@pytest.mark.parametrize("exchange_id", LISTING)
def test_check_listing_unsupported_timeframe(rsps, exchange_id):
    spec = LISTING[exchange_id]
    make_fake(exchange_id, rsps)
    client = make_client(exchange_id)

    expected = f"timeframe {spec['bad_timeframe']!r} is not offered by exchange {exchange_id!r}; valid: "
    with pytest.raises(UnsupportedTimeframeError, match=re.escape(expected)) as info:
        check_listing(client, "BTC/USDT", spec["bad_timeframe"])

    valid = str(info.value).split("valid: ", 1)[1].split(", ")  # lists what would be valid
    assert "1h" in valid and spec["bad_timeframe"] not in valid


# --------------------------------------------------------------------------- 2. pagination


def bybit_fetch(fake_retry: dict, limit: int = 4):
    client = make_client("bybit")
    return fetch_candles(client, "BTC/USDT", "1h", T0, END_OF_DAY, NOW, limit=limit, retry=fake_retry)


def assert_bybit_rows(frame):
    assert len(frame) == 9
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61471.66, 61736.70, 61443.57, 61584.99, 100.281069]
    assert row(frame, at(3)) == [60854.54, 61420.40, 60799.14, 61129.33, 168.642707]  # end of page 1
    assert row(frame, at(4)) == [61129.33, 61315.25, 60723.80, 60832.29, 118.180211]  # start of page 2
    assert row(frame, at(8)) == [61532.75, 61613.92, 61207.67, 61479.30, 299.064704]  # volume, not turnover


def test_bybit_fetch_candles_pages_by_start_and_limit(rsps, sleeps):
    fake = FakeBybit(rsps)

    frame = bybit_fetch(retry(sleeps))

    # spot klines, start in ms, one hour after the newest row of the last page
    base = {"symbol": "BTCUSDT", "interval": "60", "category": "spot", "limit": "4"}
    assert fake.candle_queries() == [
        {**base, "start": str(T0)},
        {**base, "start": str(T0 + 4 * HOUR)},
        {**base, "start": str(T0 + 8 * HOUR)},
    ]
    assert fake.served[0] == [T0 + h * HOUR for h in (3, 2, 1, 0)]  # newest first on the wire
    assert fake.served[-1] == [T0 + 9 * HOUR, T0 + 8 * HOUR]  # the forming 09:00 candle was sent ...
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(8)  # ... and dropped
    assert_bybit_rows(frame)
    assert sleeps == []


OKX_1H_CLOSED = 9  # 00:00 .. 08:00; 09:00 has confirm "0"


def okx_fetch(fake_retry: dict, limit: int = 4):
    client = make_okx_client(NOW)
    return fetch_candles(client, "BTC/USDT", "1h", T0, END_OF_DAY, NOW, limit=limit, retry=fake_retry)


def assert_okx_rows(frame):
    assert len(frame) == OKX_1H_CLOSED
    assert list(frame["timestamp"]) == [at(h) for h in range(9)]
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61468.1, 61726.6, 61433.3, 61584.9, 72.19830534]  # base volume (vol)
    assert row(frame, at(3)) == [60842.7, 61407.7, 60791.4, 61116.2, 148.15279765]
    assert row(frame, at(4)) == [61116.2, 61314.2, 60720.9, 60830.9, 88.69041242]
    assert row(frame, at(8)) == [61528.6, 61609.7, 61208.5, 61471.5, 266.30520997]


def test_okx_fetch_candles_pages_by_before_after_and_drops_unconfirmed(rsps, sleeps):
    fake = FakeOkx(rsps, NOW)

    frame = okx_fetch(retry(sleeps))

    # recent range: /market/candles, window (since - 1, since + limit bars) in ms
    assert fake.paths()[-3:] == ["/api/v5/market/candles"] * 3
    base = {"instId": "BTC-USDT", "bar": "1H", "limit": "4"}
    assert fake.candle_queries() == [
        {**base, "before": str(T0 - 1), "after": str(T0 + 4 * HOUR)},
        {**base, "before": str(T0 + 4 * HOUR - 1), "after": str(T0 + 8 * HOUR)},
        {**base, "before": str(T0 + 8 * HOUR - 1), "after": str(T0 + 12 * HOUR)},
    ]
    assert fake.served[0] == [T0 + h * HOUR for h in (3, 2, 1, 0)]
    assert fake.served[-1] == [T0 + 9 * HOUR, T0 + 8 * HOUR]
    unconfirmed = [int(r[0]) for r in fake.served_rows if r[8] == "0"]
    assert unconfirmed == [T0 + 9 * HOUR]  # the server flagged the forming candle ...
    confirmed = sorted(int(r[0]) for r in fake.served_rows if r[8] == "1")
    assert [int(ts.value // 10**6) for ts in frame["timestamp"]] == confirmed  # ... only confirmed ones are kept
    assert_okx_rows(frame)
    assert sleeps == []


OKX_MINUTE_NOW = T0 + 2000 * MINUTE + 30_000  # minute 2000 is forming


def okx_minute_row(k: int) -> list[str]:
    """Candle k minutes after T0 as /market/history-candles sends it: price moves $0.30 a minute."""
    open_10 = 612_000 + 3 * k  # tenths of a dollar (BTC-USDT tick 0.1)
    fmt = lambda tenths: f"{tenths / 10:.1f}"  # noqa: E731
    vol = f"{0.5 + (k % 10) / 16:.8f}"
    confirm = "0" if T0 + k * MINUTE + MINUTE > OKX_MINUTE_NOW else "1"
    return [str(T0 + k * MINUTE), fmt(open_10), fmt(open_10 + 20), fmt(open_10 - 10), fmt(open_10 + 3),
            vol, "30600.0", "30600.0", confirm]


def test_okx_old_range_pages_through_history_candles(rsps, sleeps):
    fake = FakeOkx(rsps, OKX_MINUTE_NOW)
    fake.candles[("BTC-USDT", "1m")] = [okx_minute_row(k) for k in range(2000, -6, -1)]  # newest first
    client = make_okx_client(OKX_MINUTE_NOW)
    # 00:00 .. 04:10 lies more than 1440 minutes before now: only history-candles has it
    end = T0 + 250 * MINUTE

    frame = fetch_candles(client, "BTC/USDT", "1m", T0, end, OKX_MINUTE_NOW, limit=100, retry=retry(sleeps))

    assert fake.paths()[-3:] == ["/api/v5/market/history-candles"] * 3
    base = {"instId": "BTC-USDT", "bar": "1m", "limit": "100"}
    assert fake.candle_queries() == [
        {**base, "before": str(T0 - 1), "after": str(T0 + 100 * MINUTE)},
        {**base, "before": str(T0 + 100 * MINUTE - 1), "after": str(T0 + 200 * MINUTE)},
        {**base, "before": str(T0 + 200 * MINUTE - 1), "after": str(T0 + 300 * MINUTE)},
    ]
    assert [len(page) for page in fake.served] == [100, 100, 100]
    assert len(frame) == 250
    assert frame["timestamp"].iloc[0] == at(0)
    assert frame["timestamp"].iloc[-1] == at(4, 9)
    assert (frame["timestamp"].diff().dropna() == pd.Timedelta(minutes=1)).all()
    assert_clean_frame(frame)
    assert row(frame, at(0)) == [61200.0, 61202.0, 61199.0, 61200.3, 0.5]
    assert row(frame, at(1, 39)) == [61229.7, 61231.7, 61228.7, 61230.0, 1.0625]  # last of page 1
    assert row(frame, at(1, 40)) == [61230.0, 61232.0, 61229.0, 61230.3, 0.5]  # first of page 2
    assert row(frame, at(4, 9)) == [61274.7, 61276.7, 61273.7, 61275.0, 1.0625]
    assert sleeps == []


# --------------------------------------------------------------------------- 3. faults


def test_bybit_rate_limit_error_body_then_success_is_retried(rsps, sleeps):
    fake = FakeBybit(rsps)
    # bybit refuses with HTTP 200 and retCode 10006 (ccxt: RateLimitExceeded)
    fake.faults = [json_answer(200, load("bybit_error_too_many_visits.json"))] * 2

    frame = bybit_fetch(retry(sleeps))

    assert sleeps == [0.25, 0.5]
    starts = [q["start"] for q in fake.candle_queries()]
    assert starts == [str(T0)] * 3 + [str(T0 + 4 * HOUR), str(T0 + 8 * HOUR)]  # same page retried
    assert_bybit_rows(frame)


def test_bybit_unsupported_symbol_error_is_not_retried(rsps, sleeps):
    fake = FakeBybit(rsps)
    fake.faults = [json_answer(200, load("bybit_error_not_supported_symbols.json"))]

    expected = 'bybit BTC/USDT 1h since 2024-03-01 00:00: BadSymbol: bybit {"retCode": 10001, "retMsg": "Not supported symbols"'
    with pytest.raises(SourceError, match=re.escape(expected)) as info:
        bybit_fetch(retry(sleeps))

    assert type(info.value) is SourceError  # neither malformed nor transient
    assert len(fake.candle_queries()) == 1
    assert sleeps == []


def test_okx_429_rate_limit_then_success_is_retried(rsps, sleeps):
    fake = FakeOkx(rsps, NOW)
    fake.faults = [None, json_answer(429, load("okx_error_too_many_requests.json"))]  # page 2 refused once

    frame = okx_fetch(retry(sleeps))

    assert sleeps == [0.25]
    befores = [q["before"] for q in fake.candle_queries()]
    assert befores == [str(T0 - 1), str(T0 + 4 * HOUR - 1), str(T0 + 4 * HOUR - 1), str(T0 + 8 * HOUR - 1)]
    assert_okx_rows(frame)


def test_okx_unknown_instrument_error_is_not_retried(rsps, sleeps):
    fake = FakeOkx(rsps, NOW)
    fake.faults = [json_answer(200, load("okx_error_instrument_not_exist.json"))]

    expected = 'okx BTC/USDT 1h since 2024-03-01 00:00: BadSymbol: okx {"code": "51001", "data": [], "msg": "Instrument ID does not exist"}'
    with pytest.raises(SourceError, match=re.escape(expected) + "$") as info:
        okx_fetch(retry(sleeps))

    assert type(info.value) is SourceError  # neither malformed nor transient
    assert len(fake.candle_queries()) == 1
    assert sleeps == []
