
  
  create view "peak_trade"."main"."stg_candles__dbt_tmp" as (
    -- Typed, deduplicated candles with unified BASE/QUOTE symbols; nothing else.
with landed as (
    select * from read_parquet('/tmp/ct/main/data/raw/*/*/*/*/candles.parquet', hive_partitioning = true)
)

select
    exchange,
    replace(symbol, '-', '/') as symbol,
    timeframe,
    "timestamp"::timestamptz as ts,
    "date" as trade_date,
    open::double as open,
    high::double as high,
    low::double as low,
    close::double as close,
    volume::double as volume
from landed
qualify row_number() over (partition by exchange, symbol, timeframe, "timestamp" order by "date") = 1
  );
