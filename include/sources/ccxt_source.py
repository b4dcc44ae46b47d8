"""Real exchanges through ccxt: public endpoints only, rate limiter on, spot markets."""
from __future__ import annotations

import ccxt

from include.errors import ConfigError, closest

# Markets we ask for; futures and options endpoints are not needed for spot candles.
_SPOT_ONLY = {
    "binance": {"fetchMarkets": {"types": ["spot"]}},
    "bybit": {"fetchMarkets": {"types": ["spot"]}},
    "okx": {"fetchMarkets": {"types": ["spot"]}},
}


# Endpoints whose real page size is below what ccxt allows: a larger `limit` there
# would return the newest rows of each page only, silently skipping the rest.
PAGE_LIMITS = {"okx": 100}


def page_limit(exchange_id: str, requested: int) -> int:
    return min(requested, PAGE_LIMITS.get(exchange_id, requested))


def check_exchange_id(exchange_id: str) -> None:
    if exchange_id not in ccxt.exchanges:
        raise ConfigError(f"unknown ccxt exchange id {exchange_id!r}; {closest(exchange_id, ccxt.exchanges)}")


def make_ccxt_client(exchange_id: str, *, timeout_ms: int = 30_000) -> ccxt.Exchange:
    """An unauthenticated ccxt client: only public market-data endpoints are used."""
    check_exchange_id(exchange_id)
    options = {"defaultType": "spot", **_SPOT_ONLY.get(exchange_id, {})}
    client = getattr(ccxt, exchange_id)({"enableRateLimit": True, "timeout": timeout_ms, "options": options})
    _require_json(client)
    return client


def _require_json(client: ccxt.Exchange) -> None:
    """Make a 2xx answer that is not JSON an error (ccxt would hand its text to the parsers)."""
    fetch = client.fetch

    def fetch_json(url, method="GET", headers=None, body=None):
        answer = fetch(url, method, headers, body)
        if not isinstance(answer, (dict, list)):
            raise ccxt.BadResponse(f"{client.id} {method} {url}: answer is not JSON: {str(answer)[:200]!r}")
        return answer

    client.fetch = fetch_json


def ccxt_timeframes(exchange_id: str) -> list[str]:
    """Timeframes an exchange offers, known without a network call."""
    check_exchange_id(exchange_id)
    return list(getattr(ccxt, exchange_id)().timeframes or {})
