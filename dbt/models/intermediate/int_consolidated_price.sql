{{ config(
    materialized='incremental',
    unique_key=['symbol', 'timeframe', 'ts']
) }}
-- One consolidated price per (symbol, timeframe, ts) across every venue quoting the symbol:
-- the volume-weighted mean of the venues' closes, or their plain mean when no venue traded
-- (total volume 0). Uses each venue's landed candles and, for timeframes it was not landed
-- at, its resampled ones; a venue with a gap at ts simply does not take part.
-- Incremental (macro landed_since): per symbol, every bucket of every timeframe from the one
-- holding the earliest candle of a file landed since the last run onward; the hour an hourly
-- ingest adds touches the buckets of its partition only.
with candles as (
    {{ resample_candles_every_timeframe() }}
)
{%- if is_incremental() %},

changed as (
    {{ landed_since(['symbol']) }}
)
{%- endif %},

-- A (symbol, timeframe) quoted by one venue needs no aggregation: each bucket is that venue's
-- candle, and the same expressions over one row give the same values, so those rows skip the
-- grouping (a list sorted and a distinct count per bucket, most of this model's time).
scoped as (
    select c.*
    from candles as c
    {% if is_incremental() %}
    inner join changed as ch
        on ch.symbol = c.symbol and c.ts >= {{ resample_bucket_start('ch.since', timeframe_seconds('c.timeframe')) }}
    {% endif %}
),

venue_counts as (
    select symbol, timeframe, count(distinct exchange) as n_exchanges
    from (select distinct symbol, timeframe, exchange from scoped)
    group by all
)

select
    c.symbol,
    c.timeframe,
    c.ts,
    case
        when sum(coalesce(c.volume, 0)) > 0
            then sum(c.close * coalesce(c.volume, 0)) / sum(coalesce(c.volume, 0))
        else avg(c.close)
    end as consolidated_close,
    sum(coalesce(c.volume, 0)) as total_volume,
    count(distinct c.exchange) as n_venues,
    list(c.exchange order by c.exchange) as venues,
    {{ landed_through() }} as landed_through
from scoped as c
semi join venue_counts as v on v.symbol = c.symbol and v.timeframe = c.timeframe and v.n_exchanges > 1
group by c.symbol, c.timeframe, c.ts

union all

select
    c.symbol,
    c.timeframe,
    c.ts,
    case
        when coalesce(c.volume, 0) > 0
            then c.close * coalesce(c.volume, 0) / coalesce(c.volume, 0)
        else c.close
    end as consolidated_close,
    coalesce(c.volume, 0) as total_volume,
    1::bigint as n_venues,
    [c.exchange] as venues,
    {{ landed_through() }} as landed_through
from scoped as c
semi join venue_counts as v on v.symbol = c.symbol and v.timeframe = c.timeframe and v.n_exchanges = 1
