"""market_data_backfill: land any past window for chosen symbols, through the same gate."""
from datetime import datetime

from airflow.sdk import DAG, Param

from include.checked_config import load_checked_config
from operators.common import default_args
from operators.forms import MANUAL_ONLY, MANUAL_SECTION, in_section
from operators.ingest_tasks import ingest_flow, plan_backfill

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time
exchange_ids = [e.id for e in config.universe.exchanges]
all_symbols = sorted({s.symbol for s in config.series()})
all_timeframes = sorted({s.timeframe for s in config.series()})

with DAG(
    dag_id="market_data_backfill",
    description="Land a past window of candles for chosen symbols (manual), through the same validation gate.",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args=default_args(config),
    tags=["market-data", "backfill", "manual"],
    params=in_section({
        "exchange": Param(exchange_ids[0], type="string", enum=exchange_ids, title="Exchange",
                          description="One of the config's exchanges (universe.exchanges)."),
        "symbols": Param(
            all_symbols[:1], type="array", items={"type": "string"}, examples=all_symbols, minItems=1,
            title="Symbols", description="Unified BASE/QUOTE symbols; checked against the exchange's listing before any work.",
        ),
        "timeframe": Param(all_timeframes[0], type="string", enum=all_timeframes, title="Timeframe",
                           description="Candle length, one of the config's timeframes."),
        # Empty defaults, resolved when the run starts: a default computed at parse time would change
        # the DAG (a new version, a warning bar) every day.
        "start": Param(None, type=["null", "string"], format="date", title="First day (UTC)",
                       description="YYYY-MM-DD, up to today; empty: 7 days before today."),
        "end": Param(None, type=["null", "string"], format="date", title="Last day (UTC), included",
                     description="YYYY-MM-DD, on or after the first day and up to today (today lands up to the "
                                 "last closed candle); empty: yesterday. A day in the future is refused, like the "
                                 "first day."),
    }, MANUAL_SECTION),
    doc_md="""
### Market data backfill
Trigger with the form: an exchange, one or more symbols, a timeframe and a
date range (both days included). Parameters are checked against the config
and the exchange's listing before anything is fetched. The window is landed,
validated and published exactly like the hourly ingest; re-running a window
rewrites the same partitions and never duplicates rows. Bad input (an unknown
symbol, a day in the future, an end before the start) fails `plan_backfill` at once with
one message naming the field; nothing is fetched and the run is failed.
""" + MANUAL_ONLY,
):
    ingest_flow(plan_backfill())
