"""Run the emulator on 127.0.0.1 in a background thread, and point an unmodified ccxt.binance at it."""
from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal

import ccxt
import uvicorn

from include.execution.ccxt_urls import point_at
from tests.emulator.app import create_app
from tests.emulator.faults import FaultPlan
from tests.emulator.markets import market_specs
from tests.emulator.state import Venue

START_TIMEOUT_S = 10.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # loopback is never proxied

# ccxt.binance for a spot-only venue: no futures/options market lists, no sapi (currencies, margin pairs).
SPOT_ONLY_OPTIONS = {
    "defaultType": "spot",
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
    "warnOnFetchOpenOrdersWithoutSymbol": False,
}


class Emulator:
    """The handle tests hold: the venue's state, its fault plan, and where it listens."""

    def __init__(self, venue: Venue, api_key: str, secret: str, faults: FaultPlan):
        self.venue, self.api_key, self.secret = venue, api_key, secret
        self.faults = faults            # replace at any time; FaultPlan.none() turns faults off
        self.lock = threading.RLock()   # one lock around the venue: HTTP thread and test thread alike
        self.base_url = ""
        self._counts: Counter[str] = Counter()

    def count(self, kind: str) -> None:
        self._counts[kind] += 1

    def set_price(self, symbol: str, price) -> None:
        """The market's price (unified or exchange symbol); resting limit orders it crosses fill."""
        with self.lock:
            self.venue.set_price(symbol, price)

    def price(self, symbol: str) -> Decimal:
        with self.lock:
            return self.venue.prices[self.venue.market_by_symbol(symbol).id]

    def balances(self) -> dict[str, Decimal]:
        """Total (free + locked) per asset."""
        with self.lock:
            return self.venue.balances()

    def free_and_locked(self) -> dict[str, tuple[Decimal, Decimal]]:
        with self.lock:
            return self.venue.free_and_locked()

    def orders(self) -> list[dict]:
        with self.lock:
            return [o.snapshot() for o in self.venue.orders]

    def trades(self) -> list[dict]:
        with self.lock:
            return [t.snapshot() for t in self.venue.trades]

    def create_requests(self) -> list[dict]:
        """Every authenticated create-order request the venue saw, accepted or not, in arrival order."""
        with self.lock:
            return [dict(r) for r in self.venue.create_log]

    def fault_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self._counts)


@contextmanager
def running_emulator(*, markets=None, balances: Mapping[str, object], prices: Mapping[str, object],
                     api_key: str, secret: str, seed: int = 0,
                     faults: FaultPlan | Mapping[str, float] | None = None) -> Iterator[Emulator]:
    """An emulator listening on 127.0.0.1:<free port> until the block ends.

    markets: None (BTC, ETH, SOL, XRP, DOGE against USDT with Binance's filters), MarketSpecs, or
    {unified symbol: MarketSpec fields}; balances: {asset: amount}; prices: {symbol: price};
    faults: a FaultPlan, or {kind: probability} for a plan seeded with `seed`, or None (no faults).
    """
    if not api_key or not secret:
        raise ValueError("running_emulator needs a non-empty api_key and secret (the venue checks both)")
    venue = Venue.build(market_specs(markets), balances, prices)
    plan = faults if isinstance(faults, FaultPlan) else FaultPlan(seed=seed, rates=faults)
    emulator = Emulator(venue, api_key, secret, plan)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))   # the port is ours before uvicorn starts: no race for a "free" port
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(emulator), log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"emulator-{port}",
                              daemon=True)
    thread.start()
    emulator.base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(emulator.base_url, server, thread)
        yield emulator
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_answering(base_url: str, server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"emulator at {base_url} stopped while starting (see the log above)")
        if server.started:
            try:
                with _NO_PROXY.open(f"{base_url}/api/v3/ping", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"emulator at {base_url} did not answer within {START_TIMEOUT_S} s")


def binance_client(emulator: Emulator, api_key: str, secret: str, *, timeout: int = 10_000,
                   **options) -> ccxt.binance:
    """An unmodified ccxt.binance, spot only, pointed at the emulator; `options` extend its options."""
    client = ccxt.binance({
        "apiKey": api_key, "secret": secret, "enableRateLimit": False, "timeout": timeout,
        "options": {**SPOT_ONLY_OPTIONS, **options},
    })
    point_at(client, emulator.base_url)
    client.session.trust_env = False   # no HTTP(S)_PROXY from the environment on loopback
    return client
