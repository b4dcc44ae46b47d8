"""Which account a desk run trades: the paper venue, or a venue account of `execution.venues` (testnet or live).

A DeskAccount is the broker's name plus, for a venue account, its credentials. The credentials
are read by the operators layer (an Airflow Connection) and handed in here: include/ never
reads them itself, never logs, stores or returns them (Credentials' repr is masked).
A venue account brings its own markets (loaded from the venue), prices (the venue's last
prices) and ledger (include.execution.ledger.open_ledger: one per account), and its own lock
(so two runs never change the same account's state at once). Its BrokerOptions say how each
step opens the ccxt broker: the defaults are production's (real sleeps, backoff, ccxt's throttle).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from include.errors import ConfigError
from include.execution.live_gate import PAPER
from include.paths import DataPaths


@dataclass(frozen=True)
class BrokerOptions:
    """How the desk opens a venue account's ccxt broker (include.execution.ccxt_broker.open_ccxt_broker).

    sleep, backoff_s: the retries' clock (and submit's lookups of an unknown order); rate_limit: ccxt's
    own throttle (off only for a loopback emulator); markets: the venue's markets loaded before by the same
    caller (a long-lived process opening the desk step after step), None: loaded from the venue at every
    opening; wrap: applied to the opened broker before the desk uses it (a test's fault injection), None:
    the broker itself."""
    sleep: Callable[[float], None] = time.sleep
    backoff_s: float = 0.5
    rate_limit: bool = True
    markets: Mapping[str, dict] | None = field(default=None, repr=False)
    wrap: Callable[[object], object] | None = None


@dataclass(frozen=True)
class DeskAccount:
    name: str = PAPER
    credentials: object | None = field(default=None, repr=False, compare=False)  # Credentials; None for paper
    broker_options: BrokerOptions = field(default_factory=BrokerOptions, repr=False, compare=False)

    @property
    def is_paper(self) -> bool:
        return self.name == PAPER


PAPER_ACCOUNT = DeskAccount()


def broker_names(settings) -> list[str]:
    """The form's choices: paper, then each venue account."""
    return [PAPER, *settings.venues]


def broker_descriptions(settings) -> str:
    """One line for the form: which choice is paper, testnet or live."""
    parts = ["paper: the simulated venue"]
    for name, account in settings.venues.items():
        kind = "testnet (sandbox)" if account.sandbox else ("LIVE, real money" if account.live
                                                            else "LIVE, real money, not armed (live: false)")
        parts.append(f"{name}: {account.exchange} {kind}")
    return "; ".join(parts)


def venue_account(settings, name: str):
    """The VenueAccount of `name`; None for paper; a ConfigError naming the choices otherwise."""
    if name == PAPER:
        return None
    if name not in settings.venues:
        raise ConfigError(f"params.broker: {name!r} is not a broker; valid: {', '.join(broker_names(settings))}")
    return settings.venues[name]


def venue_lock(paths: DataPaths, name: str):
    """The lock held while a run changes the venue account's state (orders, cancels, reconciliation)."""
    return paths.locks / f"desk-{name}.lock"


def venue_candles(client, symbols) -> dict:
    """The venue's last price per symbol (its tickers) as a one-price candle: a venue account's arrival price
    and mark come from its own market, not from the research venue's candles."""
    from include.execution.paper_broker import Candle  # not at import: it loads the backtester (DAG parsing must not)
    from include.execution.prices import NoPrice

    symbols = list(symbols)
    if not symbols:
        return {}
    tickers = client.fetch_tickers(symbols)
    out = {}
    for symbol in symbols:
        ticker = tickers.get(symbol) or {}
        last = ticker.get("last")
        if last is None or not Decimal(str(last)) > 0:
            raise NoPrice(f"{client.id}: the venue's ticker of {symbol} has no last price ({last!r}); "
                          "the desk cannot price it")
        ts = ticker.get("timestamp") or 0
        out[symbol] = Candle(int(ts), float(last), float(last), float(last), float(last))
    return out
