"""A paper ledger with a hand-computed sequence of fills, published on a copy of the real warehouse.

Venue bus_usd, symbol BTC/USD (the real Binance.US candles of March 2023, tests/warehouse/conftest.py).
Fees are 0.1 % of the notional, in USD.

  2023-03-10 00:00  deposit 100,000 USD
  order A buy 1 @ arrival 20,000, filled in two parts:
  2023-03-10 12:00  t1 buy 0.6 @ 20,010 fee 12.006    q 0.6  c 20,010
  2023-03-10 13:00  t2 buy 0.4 @ 20,020 fee 8.008     q 1.0  c (12,006 + 8,008) / 1 = 20,014
  order B buy 0.5 @ arrival 20,500: one partial fill, then cancelled:
  2023-03-12 12:00  t3 buy 0.2 @ 20,490 fee 4.098     q 1.2  c (20,014 + 4,098) / 1.2 = 20,093.3333...
  order C sell 0.7 @ arrival 24,000:
  2023-03-14 12:00  t4 sell 0.7 @ 23,980 fee 16.786   q 0.5  realised gross 0.7 x (23,980 - 20,093.33..) = 2,720.6667

  fees 40.898; realised PnL = 2,720.666667 - 40.898 = 2,679.768667
  cash = 100,000 - 24,112 + 16,786 - 40.898 = 92,633.102; equity(day) = cash + 0.5 x close(day)
  slippage (bps, + = cost): t1 +5.0, t2 +10.0, t3 -4.878..., t4 +8.333...
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from decimal import Decimal as D
from pathlib import Path

from include.execution.ledger import Fill, Ledger
from include.execution.orders import make_order

VENUE, SYMBOL = "bus_usd", "BTC/USD"
ORDER_A = make_order("paper-1", SYMBOL, "buy", 1, leg="a", arrival_price=20000, reason="rebalance")
ORDER_B = make_order("paper-1", SYMBOL, "buy", "0.5", leg="b", arrival_price=20500, reason="rebalance")
ORDER_C = make_order("paper-2", SYMBOL, "sell", "0.7", leg="c", arrival_price=24000, reason="rebalance")

QUANTITY = D("0.5")
AVERAGE_COST = D("24112") / D("1.2")
REALISED_GROSS = D("0.7") * (D("23980") - AVERAGE_COST)
FEES = D("40.898")
REALISED_PNL = REALISED_GROSS - FEES
CASH = D("92633.102")
SLIPPAGE_BPS = {"t1": 5.0, "t2": 10.0, "t3": (20490 / 20500 - 1) * 10_000, "t4": -(23980 / 24000 - 1) * 10_000}


def ms(day: int, hour: int) -> int:
    return int(datetime(2023, 3, day, hour, tzinfo=timezone.utc).timestamp() * 1000)


def fill(trade_id: str, order, amount: str, price: str, fee: str, ts_ms: int) -> Fill:
    return Fill(VENUE, trade_id, SYMBOL, order.side, D(amount), D(price), ts_ms, D(fee), "USD",
                order.client_order_id)


def record(ledger: Ledger) -> None:
    ledger.record_cash("USD", "100000", kind="deposit", ts_ms=ms(10, 0), reference="initial")
    ledger.record_intent(ORDER_A, venue=VENUE, ts_ms=ms(10, 11))
    for status in ("submitted", "accepted"):
        ledger.record_event(ORDER_A.client_order_id, status, ts_ms=ms(10, 11))
    ledger.record_fill(fill("t1", ORDER_A, "0.6", "20010", "12.006", ms(10, 12)))
    ledger.record_event(ORDER_A.client_order_id, "partially_filled", ts_ms=ms(10, 12), filled="0.6")
    ledger.record_fill(fill("t2", ORDER_A, "0.4", "20020", "8.008", ms(10, 13)))
    ledger.record_event(ORDER_A.client_order_id, "filled", ts_ms=ms(10, 13), filled="1")

    ledger.record_intent(ORDER_B, venue=VENUE, ts_ms=ms(12, 11))
    for status in ("submitted", "accepted"):
        ledger.record_event(ORDER_B.client_order_id, status, ts_ms=ms(12, 11))
    ledger.record_fill(fill("t3", ORDER_B, "0.2", "20490", "4.098", ms(12, 12)))
    ledger.record_event(ORDER_B.client_order_id, "partially_filled", ts_ms=ms(12, 12), filled="0.2")
    ledger.record_event(ORDER_B.client_order_id, "pending_cancel", ts_ms=ms(12, 13))
    ledger.record_event(ORDER_B.client_order_id, "cancelled", ts_ms=ms(12, 13))

    ledger.record_intent(ORDER_C, venue=VENUE, ts_ms=ms(14, 11))
    for status in ("submitted", "accepted"):
        ledger.record_event(ORDER_C.client_order_id, status, ts_ms=ms(14, 11))
    ledger.record_fill(fill("t4", ORDER_C, "0.7", "23980", "16.786", ms(14, 12)))
    ledger.record_event(ORDER_C.client_order_id, "filled", ts_ms=ms(14, 12), filled="0.7")


def published_copy(real_warehouse: Path, target: Path) -> tuple[Path, dict[str, int]]:
    """A copy of the real warehouse's data dir with the hand-computed ledger published on it."""
    from include.execution.publish import publish_ledger
    from include.paths import DataPaths

    data_dir = target / "data"
    shutil.copytree(real_warehouse, data_dir)
    ledger = Ledger(DataPaths(data_dir).ledger)
    try:
        record(ledger)
        counts = publish_ledger(ledger, data_dir)
    finally:
        ledger.close()
    return data_dir, counts
