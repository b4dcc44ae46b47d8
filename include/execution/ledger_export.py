"""The ledger as Parquet for the warehouse and the reports: orders, fills, positions, pnl."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from include.atomic import write_parquet_atomic
from include.execution.ledger import Ledger

MONEY = pa.decimal128(38, 18)


def _table(rows: list[dict], columns: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({name: pa.array([r[name] for r in rows], type=kind) for name, kind in columns.items()})


def export_parquet(ledger: Ledger, folder: str | Path, marks=None) -> dict[str, Path]:
    """Write orders.parquet, fills.parquet, positions.parquet, pnl.parquet (marks: symbol -> price, optional)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    orders = [{"client_order_id": r.client_order_id, "venue": r.venue, "run_id": r.intent.run_id,
               "symbol": r.intent.symbol, "side": r.intent.side, "type": r.intent.type, "amount": r.intent.amount,
               "limit_price": r.intent.limit_price, "arrival_price": r.intent.arrival_price,
               "reason": r.intent.reason, "leg": r.intent.leg, "status": r.status.value,
               "venue_order_id": r.venue_order_id, "filled": r.filled, "external": r.external,
               "created_ms": r.created_ms} for r in ledger.orders()]
    fills = [dict(f.__dict__) for f in ledger.fills()]
    pnl_rows = ledger.pnl(marks)
    s, i, b = pa.string(), pa.int64(), pa.bool_()
    tables = {
        "orders": _table(orders, {"client_order_id": s, "venue": s, "run_id": s, "symbol": s, "side": s, "type": s,
                                  "amount": MONEY, "limit_price": MONEY, "arrival_price": MONEY, "reason": s,
                                  "leg": s, "status": s, "venue_order_id": s, "filled": MONEY, "external": b,
                                  "created_ms": i}),
        "fills": _table(fills, {"venue": s, "trade_id": s, "client_order_id": s, "venue_order_id": s, "symbol": s,
                                "side": s, "amount": MONEY, "price": MONEY, "fee_cost": MONEY, "fee_currency": s,
                                "ts_ms": i}),
        "positions": _table(pnl_rows, {"symbol": s, "quantity": MONEY, "average_cost": MONEY}),
        "pnl": _table(pnl_rows, {"symbol": s, "quantity": MONEY, "average_cost": MONEY, "realised_gross": MONEY,
                                 "fees": MONEY, "realised_pnl": MONEY, "mark": MONEY, "unrealised_pnl": MONEY,
                                 "total_pnl": MONEY}),
    }
    paths = {}
    for name, table in tables.items():
        paths[name] = folder / f"{name}.parquet"
        write_parquet_atomic(table, paths[name])
    return paths
