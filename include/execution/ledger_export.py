"""The ledger as Parquet for the warehouse and the reports.

Tables (one file each, written atomically, read by the dbt source `ledger`):
- orders, fills: the ledger's rows, an order with its latest status;
- positions, pnl: the state now (marks optional), as pnl.pnl_table gives it;
- position_events: after each fill, its symbol's position as pnl.py replays it (quantity,
  average cost, realised PnL and fees, both cumulative), so dbt builds daily history
  without a second definition of PnL in SQL;
- cash: every change of a currency balance: the ledger's cash movements (deposits,
  withdrawals, fees and adjustments), each fill's notional and each fill's quote-currency
  fee. A fee charged in the base currency is not cash: it reduces the position's quantity
  (position_events has it);
- desk_runs: each rebalance, flatten and liquidation summary (dry runs too), JSON columns as text.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from include.atomic import write_parquet_atomic
from include.execution import pnl
from include.execution.ledger import Fill, Ledger

MONEY = pa.decimal128(38, 18)
SCALE = Decimal("1e-18")  # MONEY's scale: an average cost such as 310/3 is rounded (half even) to it
TABLES = ("orders", "fills", "positions", "pnl", "position_events", "cash", "desk_runs")


def _value(value, kind: pa.DataType):
    return value.quantize(SCALE) if kind == MONEY and isinstance(value, Decimal) else value


def _table(rows: list[dict], columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([_value(r[name], kind) for r in rows], type=kind)
                     for name, kind in columns.items()})


def position_events(fills: list[Fill]) -> list[dict]:
    """One row per fill: its symbol's position right after it (pnl.Position.apply, the one definition)."""
    positions: dict[str, pnl.Position] = {}
    rows = []
    for seq, f in enumerate(fills, start=1):
        pos = positions.setdefault(f.symbol, pnl.Position(f.symbol))
        pos.apply(f.side, f.amount, f.price, f.fee_cost, f.fee_currency, f"fill {f.trade_id}")
        rows.append({"seq": seq, "ts_ms": f.ts_ms, "venue": f.venue, "trade_id": f.trade_id, "symbol": f.symbol,
                     "quantity": pos.quantity, "average_cost": pos.average_cost,
                     "realised_gross": pos.realised_gross, "fees": pos.fees, "realised_pnl": pos.realised_pnl})
    return rows


def cash_changes(movements: list[dict], fills: list[Fill]) -> list[dict]:
    """Signed changes of currency balances: cash movements, fills' notional, quote-currency fees."""
    rows = [{"ts_ms": m["ts_ms"], "currency": m["currency"], "amount": m["amount"], "kind": m["kind"],
             "reference": m["reference"]} for m in movements]
    for f in fills:
        base, quote = pnl.base_quote(f.symbol)
        sign = Decimal(1) if f.side == "buy" else Decimal(-1)
        rows.append({"ts_ms": f.ts_ms, "currency": quote, "amount": -sign * f.amount * f.price, "kind": f.side,
                     "reference": f.trade_id})
        if f.fee_cost and f.fee_currency in (None, quote):
            rows.append({"ts_ms": f.ts_ms, "currency": quote, "amount": -f.fee_cost, "kind": "fill_fee",
                         "reference": f.trade_id})
    return sorted(rows, key=lambda r: r["ts_ms"])  # stable: a fill's fee stays after its notional


def export_parquet(ledger: Ledger, folder: str | Path, marks=None, price_venues=None) -> dict[str, Path]:
    """Write the TABLES as <name>.parquet into `folder` (marks: symbol -> price, optional, for pnl).

    price_venues: venue -> the exchange whose validated candles price it ({"paper": "sim_alpha"}); a
    venue not named prices itself. Written as `price_exchange` beside `venue`, so the warehouse marks
    the paper desk's positions at the closes of the exchange it mirrors."""
    price_venues = price_venues or {}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    orders = [{"client_order_id": r.client_order_id, "venue": r.venue, "run_id": r.intent.run_id,
               "symbol": r.intent.symbol, "side": r.intent.side, "type": r.intent.type, "amount": r.intent.amount,
               "limit_price": r.intent.limit_price, "arrival_price": r.intent.arrival_price,
               "reason": r.intent.reason, "leg": r.intent.leg, "status": r.status.value,
               "venue_order_id": r.venue_order_id, "filled": r.filled, "external": r.external,
               "created_ms": r.created_ms} for r in ledger.orders()]
    fill_records = ledger.fills()
    fills = [dict(f.__dict__) for f in fill_records]
    events = position_events(fill_records)
    for row in (*orders, *fills, *events):
        row["price_exchange"] = price_venues.get(row["venue"], row["venue"])
    pnl_rows = ledger.pnl(marks)
    s, i, b = pa.string(), pa.int64(), pa.bool_()
    tables = {
        "orders": _table(orders, {"client_order_id": s, "venue": s, "run_id": s, "symbol": s, "side": s, "type": s,
                                  "amount": MONEY, "limit_price": MONEY, "arrival_price": MONEY, "reason": s,
                                  "leg": s, "status": s, "venue_order_id": s, "filled": MONEY, "external": b,
                                  "created_ms": i, "price_exchange": s}),
        "fills": _table(fills, {"venue": s, "trade_id": s, "client_order_id": s, "venue_order_id": s, "symbol": s,
                                "side": s, "amount": MONEY, "price": MONEY, "fee_cost": MONEY, "fee_currency": s,
                                "ts_ms": i, "price_exchange": s}),
        "positions": _table(pnl_rows, {"symbol": s, "quantity": MONEY, "average_cost": MONEY}),
        "pnl": _table(pnl_rows, {"symbol": s, "quantity": MONEY, "average_cost": MONEY, "realised_gross": MONEY,
                                 "fees": MONEY, "realised_pnl": MONEY, "mark": MONEY, "unrealised_pnl": MONEY,
                                 "total_pnl": MONEY}),
        "position_events": _table(events, {
            "seq": i, "ts_ms": i, "venue": s, "trade_id": s, "symbol": s, "quantity": MONEY, "average_cost": MONEY,
            "realised_gross": MONEY, "fees": MONEY, "realised_pnl": MONEY, "price_exchange": s}),
        "cash": _table(cash_changes(ledger.cash_movements(), fill_records), {
            "ts_ms": i, "currency": s, "amount": MONEY, "kind": s, "reference": s}),
        "desk_runs": _table(ledger.desk_runs(), {
            "run_id": s, "kind": s, "ts_ms": i, "dry_run": b, "orders": i, "fills": i, "rejected": i, "proposed": i,
            "notional": MONEY, "fees": MONEY, "slippage_cost": MONEY, "slippage_bps": MONEY, "equity_before": MONEY,
            "equity_after": MONEY, "weights_before": s, "weights_after": s, "rejections": s, "preview": s}),
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = folder / f"{name}.parquet"
        write_parquet_atomic(table, paths[name])
    return paths
