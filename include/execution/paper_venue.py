"""The paper venue's state kept between processes: each Airflow task loads it, acts, saves it.

The state (balances, orders, trades, the next order number) is one JSON file,
DataPaths.paper_venue, written atomically (include.atomic). A whole load-modify-save
runs under one exclusive file lock (DataPaths.desk_lock, fcntl), so a rebalance,
flatten_all and the risk monitor never interleave their changes. Prices are not
state: each opening sets the latest validated candles again (include.execution.prices).
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from include.atomic import write_text_atomic
from include.execution.paper_broker import Candle, PaperBroker
from include.landing.store import file_lock
from include.paths import DataPaths

STATE_VERSION = 1


def load_state(broker: PaperBroker, state: dict) -> None:
    broker.balances = {c: float(v) for c, v in state["balances"].items()}
    broker.orders = {str(k): v for k, v in state["orders"].items()}
    broker.trades = list(state["trades"])
    broker._next = int(state["next"])


def dump_state(broker: PaperBroker) -> dict:
    return {"version": STATE_VERSION, "venue": broker.id, "balances": broker.balances, "orders": broker.orders,
            "trades": broker.trades, "next": broker._next}


@contextmanager
def open_paper_venue(paths: DataPaths, markets: dict, initial_balances: Mapping[str, float],
                     candles: Mapping[str, Candle], costs=None, *, venue_id: str = "paper",
                     save: bool = True) -> Iterator[tuple[PaperBroker, bool]]:
    """(broker, created) under the desk lock; saved on leaving the block without an error (when `save`).

    created: no state existed, so the broker starts from initial_balances (the caller records
    that deposit in the ledger). A block that raises leaves the saved state as it was.
    """
    with file_lock(paths.desk_lock):
        broker = PaperBroker(markets, dict(initial_balances), costs, id=venue_id)
        created = not paths.paper_venue.is_file()
        if not created:
            load_state(broker, json.loads(paths.paper_venue.read_text()))
        for symbol, candle in candles.items():
            if symbol in broker.markets:
                broker.set_candle(symbol, candle)
        yield broker, created
        if save:
            write_text_atomic(json.dumps(dump_state(broker), indent=1), paths.paper_venue)
