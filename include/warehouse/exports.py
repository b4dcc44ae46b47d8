"""Parquet exports of the marts: what tasks running in parallel read instead of the DuckDB file."""
from __future__ import annotations

from pathlib import Path

from include.atomic import atomic_path
from include.paths import DataPaths

# The one list of what is exported. warehouse_build exports the marts after dbt has built them;
# nightly_sweep exports its tables after loading a run. The reports and the sweeps' chunk tasks
# read these files, never the DuckDB file.
EXPORTED_MARTS = (
    "fct_features", "fct_risk_metrics", "fct_risk_metrics_rolling", "fct_correlation", "fct_stress",
    "fct_portfolio_daily", "fct_portfolio_risk_rolling", "dim_symbols", "dim_exchanges", "fct_daily_returns",
)
# The desk's ledger marts: include/execution/publish.py exports them after each change of the
# ledger, warehouse_build after new candles (their marks move). Empty before the first paper trade.
# fct_desk_runs: one row per rebalance, flatten and liquidation summary, dry runs included.
LEDGER_MARTS = ("fct_positions", "fct_pnl", "fct_orders", "fct_fills", "fct_desk_runs")
# fct_sweep_trials keeps every night's trials and nothing reads it outside DuckDB, so it is not exported.
EXPORTED_SWEEP_TABLES = ("fct_sweep_best", "fct_sweep_walk_forward")


def export_dir(data_dir: Path) -> Path:
    return DataPaths(Path(data_dir)).exports


def export_marts(data_dir: Path, marts: tuple[str, ...]) -> dict[str, tuple[Path, int]]:
    """Write each existing mart to exports/<mart>.parquet atomically; missing marts are skipped."""
    from include.warehouse.connection import open_warehouse  # duckdb: not at parse time

    paths = DataPaths(Path(data_dir))
    paths.exports.mkdir(parents=True, exist_ok=True)
    written = {}
    with open_warehouse(paths.duckdb, read_only=True) as con:  # waits while a reader outside the pipeline holds it
        present = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        for mart in marts:
            if mart not in present:
                continue
            target = paths.export(mart)
            with atomic_path(target) as tmp:
                con.execute(f"copy (select * from {mart}) to '{tmp}' (format parquet)")
            rows = con.execute(f"select count(*) from {mart}").fetchone()[0]
            written[mart] = (target, rows)
    return written
