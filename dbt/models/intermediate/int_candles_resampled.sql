{{ config(
    materialized='incremental',
    unique_key=['exchange', 'symbol', 'timeframe', 'ts']
) }}
-- Landed candles resampled to every coarser target timeframe (5m, 15m, 1h, 4h, 1d) that is
-- a multiple of the landed one, in one aggregation pass: first open and last close by ts,
-- max high, min low, summed volume, and how many source candles each bucket holds.
-- A bucket without a single source candle is a gap and has no row (never a zero or
-- forward-filled candle); a bucket with some candles missing has candle_count < expected_count.
-- Incremental (macro landed_since): per (exchange, symbol), the buckets from the one holding the
-- earliest candle of a file landed since the last run onward are recomputed from their full set
-- of source candles: an appended hour, a rewritten partial day and a backfill alike.
{%- set targets = resample_target_timeframes() %}

with landed_series as (
    select
        exchange,
        symbol,
        timeframe as source_timeframe,
        {{ timeframe_seconds('timeframe') }} as source_seconds
    from {{ ref('stg_candles') }}
    group by all
),

targets as (
    select timeframe, {{ timeframe_seconds('timeframe') }} as target_seconds
    from (values {% for tf in targets %}('{{ tf }}'){{ ", " if not loop.last }}{% endfor %}) as t(timeframe)
),

-- One source per (exchange, symbol, target): the finest landed timeframe that divides the target.
plan as (
    select s.exchange, s.symbol, t.timeframe, t.target_seconds, s.source_timeframe, s.source_seconds
    from landed_series as s
    inner join targets as t
        on t.target_seconds > s.source_seconds and t.target_seconds % s.source_seconds = 0
    qualify row_number() over (
        partition by s.exchange, s.symbol, t.timeframe order by s.source_seconds
    ) = 1
),

{% if is_incremental() %}
changed as (
    {{ landed_since(['exchange', 'symbol']) }}
),
{% endif %}

candles as (
    select
        p.exchange,
        p.symbol,
        p.timeframe,
        p.source_timeframe,
        p.target_seconds // p.source_seconds as expected_count,
        {{ resample_bucket_start('c.ts', 'p.target_seconds') }} as bucket_ts,
        c.ts as candle_ts,
        c.open,
        c.high,
        c.low,
        c.close,
        c.volume
    from {{ ref('stg_candles') }} as c
    inner join plan as p
        on c.exchange = p.exchange and c.symbol = p.symbol and c.timeframe = p.source_timeframe
    {% if is_incremental() %}
    inner join changed as ch
        on ch.exchange = p.exchange and ch.symbol = p.symbol
        and c.ts >= {{ resample_bucket_start('ch.since', 'p.target_seconds') }}
    {% endif %}
)

select
    exchange,
    symbol,
    timeframe,
    source_timeframe,
    bucket_ts as ts,
    arg_min(open, candle_ts) as open,
    max(high) as high,
    min(low) as low,
    arg_max(close, candle_ts) as close,
    fsum(volume) as volume,
    count(*) as candle_count,
    expected_count,
    count(*) = expected_count as is_complete,
    {{ landed_through() }} as landed_through
from candles
group by exchange, symbol, timeframe, source_timeframe, expected_count, bucket_ts
