"""warehouse_build: the dbt project on DuckDB, one Airflow task per model, after every ingest."""
from datetime import datetime

from airflow.sdk import DAG

from include.checked_config import load_checked_config
from operators.common import default_args
from operators.ingest_tasks import VALIDATED_CANDLES
from operators.warehouse_tasks import dbt_task_group, export_marts, prepare_warehouse

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time

with DAG(
    dag_id="warehouse_build",
    schedule=[VALIDATED_CANDLES],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    tags=["warehouse", "dbt", "duckdb"],
    doc_md="""
### Warehouse build
Runs when `market_data_ingest` (or a backfill) publishes validated candles.
The dbt project in `dbt/` (dbt-duckdb) is rendered by astronomer-cosmos: every
model and the tests after it are their own tasks. Every task that opens the
DuckDB file runs in the `duckdb` pool of one slot, so none ever meets a file
lock; `export_marts` then writes each mart to `data/warehouse/exports/*.parquet`
for readers that run in parallel, and emits one asset per mart.
""",
):
    prepare_warehouse() >> dbt_task_group() >> export_marts()
