"""market_data_ingest: land new candles for every configured series, validate, announce."""
from airflow.sdk import DAG

from include.checked_config import load_checked_config
from operators.common import default_args, schedules_start
from operators.forms import SCHEDULED
from operators.ingest_tasks import ingest_flow, plan_incremental

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time

with DAG(
    dag_id="market_data_ingest",
    description="Land the candles closed since the last run for every configured series, validate, publish.",
    schedule=config.schedules.ingest,
    start_date=schedules_start(),  # from the first `make airflow`: nothing past runs at once
    catchup=False,
    max_active_runs=1,
    default_args=default_args(config),
    tags=["market-data", "ingest", "great-expectations"],
    doc_md=f"""
### Market data ingest
Every run lands the candles that closed since the last run, for every
exchange x symbol x timeframe in the config ({len(config.series())} series now),
then validates each new day-partition with Great Expectations.

* **plan**: one job per series, from just after its last landed candle (or the
  configured history start) up to now; the still-forming candle is never landed.
* **land** (mapped, one per series): candidates are written atomically to the
  run's landing area.
* **validate** (mapped): schema, nulls, OHLC consistency, volume, uniqueness,
  grid alignment and gap ratio decide; big moves and cross-exchange deviation are flagged.
* **publish**: passing partitions go to `raw/`, failing ones to `quarantine/`
  with a JSON reason; the Data Docs site is rebuilt and the
  `validated_candles` asset is emitted for downstream DAGs.

Edit the universe in the config file (`PEAKTRADE_CONFIG`), not here. The run has no
settings of its own; for a past window use `market_data_backfill`.
""" + SCHEDULED,
):
    ingest_flow(plan_incremental())
