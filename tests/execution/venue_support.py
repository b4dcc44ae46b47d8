"""A venue account on the loopback Binance emulator, reached through CcxtBroker (the unmodified ccxt.binance).

The API key and secret are planted, unique strings: tests check they never surface in an
exception's text, a repr, a log line or a ledger row.
"""
from __future__ import annotations

import secrets as token
from contextlib import contextmanager
from decimal import Decimal

import sqlalchemy as sa

from include.execution.ccxt_broker import open_ccxt_broker
from include.execution.credentials import Credentials
from include.execution.settings import VenueAccount
from tests.emulator import FaultPlan, running_emulator

API_KEY = f"PT-SECRET-{token.token_hex(16)}"
SECRET = f"PT-SECRET-{token.token_hex(24)}"
CREDENTIALS = Credentials(API_KEY, SECRET)
SYMBOLS = ("BTC/USDT", "ETH/USDT")
PRICES = {"BTC/USDT": "50000", "ETH/USDT": "2500", "SOL/USDT": "150"}
BALANCES = {"USDT": "10000", "BTC": "0.1"}
NAME = "emu_main"


class Waits(list):
    """The broker's sleep: records each wait instead of sleeping (the emulator does not time a 429)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def account(emulator, **keys) -> VenueAccount:
    """A sandbox account on the emulator; a timeout below the emulator's held-back answers (0.8 s)."""
    return VenueAccount(**({"exchange": "binance", "connection_id": "emu", "require_approval": False,
                            "api_url": emulator.base_url, "timeout_ms": 400, "lost_after_queries": 3,
                            "query_interval_s": 0, "max_retries": 2} | keys))


@contextmanager
def venue(*, balances=None, faults=None, **account_keys):
    """(emulator, broker, waits): an emulator and an opened CcxtBroker on it."""
    with running_emulator(balances=balances or BALANCES, prices=PRICES, api_key=API_KEY, secret=SECRET,
                          faults=faults or FaultPlan.none()) as emulator:
        waits = Waits()
        broker = open_ccxt_broker(NAME, account(emulator, **account_keys), CREDENTIALS, SYMBOLS, sleep=waits,
                                  backoff_s=0.01, rate_limit=False)  # ccxt's throttle: ~1 s per myTrades
        yield emulator, broker, waits


def script(emulator, *entries, **options) -> None:
    """Replace the emulator's faults by a script: (endpoint, kind[, details]) per request it should hit."""
    emulator.faults = FaultPlan.scripted(*entries, **options)


def accepted_creates(emulator) -> list[dict]:
    return [r for r in emulator.create_requests() if r["accepted"]]


def ledger_text(ledger) -> str:
    """Every row of every ledger table as text: where a leaked secret would show."""
    with ledger.engine.connect() as conn:
        return "\n".join(repr(tuple(row)) for table in ledger.t.values() for row in conn.execute(sa.select(table)))


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text and SECRET not in text and "PT-SECRET-" not in text


def error_texts(exc: BaseException) -> list[str]:
    """The exception's text, repr and those of everything chained to it."""
    out = []
    while exc is not None:
        out += [str(exc), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return out


D = Decimal
