"""The ledger into the warehouse: export it, build the ledger models, export the ledger marts.

The last task of the rebalance, flatten_all and risk-monitor DAGs calls publish_ledger in the
one-slot duckdb pool, so dbt alone holds the DuckDB file. The ledger's Parquet export goes to
DataPaths.ledger_exports (the dbt source `ledger`); `dbt build --select tag:ledger` rebuilds
the staging models and fct_orders, fct_fills, fct_positions, fct_pnl (each a table from the
whole ledger: a ledger is small); the marts are then exported beside the other marts, where
the reports read them. A dbt failure raises WarehouseError; the previous exports stay.
"""
from __future__ import annotations

import logging
from pathlib import Path

from include.execution.ledger import Ledger
from include.execution.ledger_export import export_parquet
from include.paths import DataPaths
from include.warehouse.dbt_runner import run_dbt
from include.warehouse.exports import LEDGER_MARTS, export_marts

log = logging.getLogger(__name__)

LEDGER_MODELS = "tag:ledger"


def publish_ledger(ledger: Ledger, data_dir: str | Path, price_venues: dict[str, str] | None = None) -> dict[str, int]:
    """Export `ledger`, build the ledger models and export LEDGER_MARTS; rows per mart.
    price_venues: venue -> exchange whose closes mark it (ledger_export.export_parquet)."""
    data_dir = Path(data_dir)
    files = export_parquet(ledger, DataPaths(data_dir).ledger_exports, price_venues=price_venues)
    log.info("ledger exported: %s", ", ".join(str(p) for p in files.values()))
    # The ledger models read no landed candle themselves; the marks come from int_daily_returns
    # as warehouse_build last built it, so the candle preflight is not needed here.
    run_dbt(["build", "--select", LEDGER_MODELS], data_dir, check_candles=False)
    written = export_marts(data_dir, LEDGER_MARTS)
    for mart, (path, rows) in written.items():
        log.info("exported %s: %d rows -> %s", mart, rows, path)
    return {mart: rows for mart, (_, rows) in written.items()}
