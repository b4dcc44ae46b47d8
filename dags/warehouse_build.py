"""warehouse_build: the dbt project on DuckDB as one `dbt build`, with a task per model, after every ingest."""
from datetime import datetime

from airflow.sdk import DAG

from include.checked_config import load_checked_config
from operators.common import default_args
from operators.forms import ASSET_SCHEDULED
from operators.ingest_tasks import VALIDATED_CANDLES
from operators.warehouse_tasks import dbt_task_group, export_marts, prepare_warehouse

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time

with DAG(
    dag_id="warehouse_build",
    description="The dbt project on DuckDB after every ingest: one dbt build, a task per model, mart exports.",
    schedule=[VALIDATED_CANDLES],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    tags=["warehouse", "dbt", "duckdb"],
    doc_md="""
### Warehouse build
Runs when `market_data_ingest` (or a backfill) publishes validated candles.
`prepare_warehouse` checks the landed files; then astronomer-cosmos runs the dbt
project in `dbt/` (dbt-duckdb) in watcher mode: **`dbt.dbt_producer_watcher` is one
`dbt build`** (every model, each test once, the incremental models touching only
what the new candles change), and **`dbt.<model>.run` / `dbt.<model>.test`** show
each model's and its tests' result, log and compiled SQL as reported by that build.
Only the tasks that open the DuckDB file (`prepare_warehouse`, the producer,
`export_marts`) take the `duckdb` pool's one slot, so none ever meets a file lock;
the per-model tasks never open it (clearing one refuses: clear the producer to build
again). `export_marts` writes each mart to `data/warehouse/exports/*.parquet` for
readers that run in parallel, and emits one asset per mart.
""" + ASSET_SCHEDULED,
):
    prepare_warehouse() >> dbt_task_group() >> export_marts()
