"""Point a ccxt exchange at another host (a venue account's api_url, or the tests' loopback emulator)."""
from __future__ import annotations

from urllib.parse import urlsplit

from include.execution.errors import ExecutionError


def point_at(exchange, api_url: str) -> None:
    """Replace the scheme and host of every URL in `exchange.urls['api']` (nested dicts too) by api_url's.

    Paths are kept, so '/api/v3/order' stays '/api/v3/order'; a path in api_url is put before them.
    """
    target = urlsplit(api_url or "")
    if target.scheme not in ("http", "https") or not target.hostname:
        raise ExecutionError(f"api_url {api_url!r} is not an http(s) URL with a host; "
                             "expected e.g. 'https://testnet.binance.vision' or 'http://127.0.0.1:8080'")
    prefix = f"{target.scheme}://{target.netloc}{target.path.rstrip('/')}"
    exchange.urls["api"] = _rebased(exchange.urls["api"], prefix)


def _rebased(value, prefix: str):
    if isinstance(value, dict):
        return {key: _rebased(item, prefix) for key, item in value.items()}
    if isinstance(value, str) and urlsplit(value).netloc:
        parts = urlsplit(value)
        return prefix + parts.path + (f"?{parts.query}" if parts.query else "")
    return value
