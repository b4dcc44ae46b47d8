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
{%- endif %}

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
from candles as c
{% if is_incremental() %}
inner join changed as ch
    on ch.symbol = c.symbol and c.ts >= {{ resample_bucket_start('ch.since', timeframe_seconds('c.timeframe')) }}
{% endif %}
group by c.symbol, c.timeframe, c.ts
