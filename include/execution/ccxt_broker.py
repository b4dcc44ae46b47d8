"""A real venue account behind the Broker protocol: the unmodified ccxt client, spot only.

- Reads (orders, trades, balances, tickers) and cancels retry ccxt's transient errors (the
  NetworkError family) with exponential backoff, at most `max_retries` times.
- create_order is never retried blind: only a 429 proves the venue refused the request
  unprocessed, so only then is it sent again, with the same client order id, after the
  venue's Retry-After (or the backoff). Anything else is raised for submit() to resolve by
  client order id.
- HTTP 418 (the venue banned this IP) stops at once: every further request prolongs the ban.
- Every exception leaving the broker is the same ccxt class with the API key, secret,
  passphrase and signed parameters scrubbed from its text, and no chained cause (the
  original's text, the request URL and headers stay inside). `http_status` is set on it
  when the venue answered.
"""
from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable, Mapping

import ccxt

from include.errors import ConfigError, closest
from include.execution.credentials import Credentials, scrub
from include.execution.ledger import now_ms
from include.execution.settings import VenueAccount

BANNED = 418
RATE_LIMITED = 429
MAX_WAIT_S = 60.0        # a Retry-After longer than this is raised rather than slept through
TRADES_PAGE = 1000       # Binance's largest page of myTrades
TRADES_WINDOW_MS = 24 * 3600 * 1000 - 1  # Binance: startTime..endTime at most 24 hours apart
# ccxt logs every request (URL with signature, headers with the API key) at DEBUG: never let that through.
_HTTP_LOG = logging.getLogger("include.execution.ccxt_broker.http")
_HTTP_LOG.setLevel(logging.WARNING)
SPOT_ONLY = {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False,
             "fetchCurrencies": False}


class CcxtBroker:
    """One venue account (`id` = the account's name); `markets` holds the account's symbols only."""

    def __init__(self, name: str, account: VenueAccount, exchange: ccxt.Exchange, secrets: Iterable[str],
                 symbols: Iterable[str], *, sleep: Callable[[float], None] = time.sleep, backoff_s: float = 0.5):
        self.id = name
        self.account = account
        self.symbols = tuple(symbols)
        self.markets: dict = {}
        self._exchange = exchange
        self._secrets = tuple(secrets)
        self._sleep = sleep
        self._backoff_s = backoff_s
        self._response: tuple[int, dict] | None = None  # the last HTTP status and headers
        answered = exchange.on_rest_response

        def note_response(code, reason, url, method, headers, body, *rest):
            self._response = (int(code), {str(k).lower(): v for k, v in (headers or {}).items()})
            return answered(code, reason, url, method, headers, body, *rest)
        exchange.on_rest_response = note_response
        exchange.logger = _HTTP_LOG

    def __repr__(self) -> str:
        return (f"CcxtBroker({self.id!r}, exchange={self.account.exchange!r}, sandbox={self.account.sandbox}, "
                f"live={self.account.live}, symbols={list(self.symbols)})")

    # -- calling the venue --------------------------------------------------------------------------

    def _call(self, what: str, *args, create: bool = False):
        method = getattr(self._exchange, what)
        attempt = 0
        while True:
            self._response, failure = None, None
            try:
                return method(*args)
            except Exception as exc:  # every error leaves through _clean: no secret, no chained cause
                failure = exc
            status, headers = self._response or (None, {})
            if status == BANNED or (status is None and isinstance(failure, ccxt.DDoSProtection)
                                    and f" {BANNED} " in str(failure)):
                raise self._clean(ccxt.DDoSProtection(
                    f"{self.id}: the venue banned this IP (HTTP 418) during {what}; every further request "
                    f"prolongs the ban, so trading stops now (Retry-After: {headers.get('retry-after', 'not given')} "
                    f"s); the venue said: {failure}"), status)
            if create:  # only a refusal before processing may be sent again (the same client order id)
                retry = status == RATE_LIMITED or isinstance(failure, ccxt.RateLimitExceeded)
            else:
                retry = isinstance(failure, ccxt.NetworkError)
            if not retry or attempt >= self.account.max_retries:
                raise self._clean(failure, status)
            wait = self._backoff_s * 2 ** attempt
            retry_after = _seconds(headers.get("retry-after"))
            if retry_after is not None:
                wait = max(wait, retry_after)
            if wait > MAX_WAIT_S:
                raise self._clean(type(failure)(f"{failure} (the venue asks to wait {wait:g} s before retrying "
                                                f"{what}; more than {MAX_WAIT_S:g} s: not waited)"), status)
            self._sleep(wait)
            attempt += 1

    def _clean(self, exc: Exception, status: int | None) -> Exception:
        text = scrub(str(exc), self._secrets)
        try:
            clean = type(exc)(text)
        except Exception:  # an exception class that cannot be built from a message
            clean = ccxt.ExchangeError(f"{type(exc).__name__}: {text}")
        clean.http_status = status
        return clean

    # -- the Broker protocol --------------------------------------------------------------------------

    def create_order(self, symbol: str, type: str, side: str, amount: float, price: float | None = None,
                     params: dict | None = None) -> dict:
        self._market(symbol)
        return self._call("create_order", symbol, type, side, amount, price, dict(params or {}), create=True)

    def fetch_order(self, id: str | None, symbol: str | None = None, params: dict | None = None) -> dict:
        """By venue id, or by client order id with params={'clientOrderId': ...} (ccxt maps it to the
        venue's own parameter: Binance origClientOrderId, checked in ccxt 4.5's binance.fetch_order)."""
        return self._call("fetch_order", id, self._market(symbol)["symbol"], dict(params or {}))

    def cancel_order(self, id: str | None, symbol: str | None = None, params: dict | None = None) -> dict:
        """By venue id, or by client order id in params (Binance: origClientOrderId, mapped by ccxt)."""
        return self._call("cancel_order", id, self._market(symbol)["symbol"], dict(params or {}))

    def fetch_open_orders(self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
                          params: dict | None = None) -> list[dict]:
        """The account's open orders; symbol=None asks per symbol of the account (Binance weighs the
        symbol-less call 40x and ccxt refuses it by default)."""
        out = []
        for s in self._symbols(symbol):
            out += self._call("fetch_open_orders", s, since, limit, dict(params or {}))
        return out

    def fetch_my_trades(self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
                        params: dict | None = None) -> list[dict]:
        """Trades per symbol of the account (Binance needs a symbol) from `since` (default: the account's
        trades_lookback_hours ago, and never earlier), in windows of at most 24 h, page by page; oldest first, each once."""
        now = now_ms()
        # never further back than the lookback: older fills were reconciled before (since=0 would mean
        # one request per day since 1970)
        since = max(since or 0, now - int(self.account.trades_lookback_hours * 3600 * 1000))
        seen: dict[str, dict] = {}
        for s in self._symbols(symbol):
            start = since
            while start <= now:
                end = min(start + TRADES_WINDOW_MS, now)
                cursor = start
                while True:
                    page = self._call("fetch_my_trades", s, cursor, limit or TRADES_PAGE,
                                      {**(params or {}), "until": end})
                    fresh = [t for t in page if str(t["id"]) not in seen and start <= t["timestamp"] <= end]
                    seen.update((str(t["id"]), t) for t in fresh)
                    if limit is not None or len(page) < TRADES_PAGE or not fresh:
                        break
                    cursor = max(t["timestamp"] for t in page)  # trades of that ms again: deduplicated by id
                start = end + 1
        trades = sorted(seen.values(), key=lambda t: (t["timestamp"], str(t["id"])))
        return trades[:limit] if limit else trades

    def fetch_balance(self, params: dict | None = None) -> dict:
        return self._call("fetch_balance", dict(params or {}))

    def fetch_ticker(self, symbol: str, params: dict | None = None) -> dict:
        return self._call("fetch_ticker", self._market(symbol)["symbol"], dict(params or {}))

    def fetch_tickers(self, symbols: list[str] | None = None, params: dict | None = None) -> dict:
        return self._call("fetch_tickers", list(self._symbols_list(symbols)), dict(params or {}))

    # -- markets --------------------------------------------------------------------------------------

    def load_markets(self) -> dict:
        """The venue's spot markets; keeps the account's symbols; a missing one is one ConfigError naming it."""
        venue = self._call("load_markets")
        spot = {s: m for s, m in venue.items() if m.get("spot")}
        missing = [s for s in self.symbols if s not in spot]
        if missing:
            raise ConfigError("; ".join(f"symbol {s!r} is not a spot market of {self.account.exchange!r} (account "
                                        f"{self.id!r}); {closest(s, spot)}" for s in missing))
        self.markets = {s: spot[s] for s in self.symbols}
        return self.markets

    def _market(self, symbol: str | None) -> dict:
        if symbol not in self.markets:
            raise ccxt.BadSymbol(f"{self.id}: {symbol!r} is not a market of this account; "
                                 f"{closest(str(symbol), self.markets)}")
        return self.markets[symbol]

    def _symbols(self, symbol: str | None) -> list[str]:
        return [self._market(symbol)["symbol"]] if symbol is not None else list(self.symbols)

    def _symbols_list(self, symbols: list[str] | None) -> list[str]:
        return [self._market(s)["symbol"] for s in symbols] if symbols else list(self.symbols)


def _seconds(value) -> float | None:
    try:
        return None if value is None else max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: the backoff decides


def open_ccxt_broker(name: str, account: VenueAccount, credentials: Credentials, symbols: Iterable[str], *,
                     sleep: Callable[[float], None] = time.sleep, backoff_s: float = 0.5,
                     rate_limit: bool = True, markets: Mapping[str, dict] | None = None) -> CcxtBroker:
    """The account's ccxt client (sandbox per the account, its api_url if set), markets loaded, spot only.

    sleep, backoff_s: the retries' clock; rate_limit: ccxt's own request throttle (off only for a
    loopback emulator, which has no weight limits); markets: the venue's markets as loaded before by the
    same caller (ccxt's unified structures, e.g. an earlier CcxtBroker's `markets`), checked like loaded
    ones; None (the default) loads them from the venue.
    """
    exchange = getattr(ccxt, account.exchange)({
        "apiKey": credentials.api_key, "secret": credentials.secret, "password": credentials.password,
        "timeout": account.timeout_ms, "enableRateLimit": rate_limit, "options": copy.deepcopy(SPOT_ONLY),
        # Spot orders need no currency list; OKX's load_markets would call a private endpoint for it.
        "has": {"fetchCurrencies": False}})
    exchange.set_sandbox_mode(account.sandbox)
    if account.api_url:
        from include.execution.ccxt_urls import point_at

        point_at(exchange, account.api_url)
    if markets is not None:
        exchange.set_markets(copy.deepcopy(dict(markets)))  # ccxt's load_markets then keeps them: no request
    broker = CcxtBroker(name, account, exchange, credentials.secrets, symbols, sleep=sleep, backoff_s=backoff_s)
    broker.load_markets()
    return broker
