-- One row per unified symbol: its base and quote, the venues listing it, the span of its
-- landed candles, the timeframes it was landed at and every timeframe available after resampling.
with landed as (
    select symbol, exchange, timeframe, min(ts) as first_ts, max(ts) as last_ts
    from {{ ref('stg_candles') }}
    group by symbol, exchange, timeframe
),

available as (
    select distinct symbol, timeframe from landed
    union
    select distinct symbol, timeframe from {{ ref('int_candles_resampled') }}
),

available_lists as (
    select symbol, list(timeframe order by {{ timeframe_seconds('timeframe') }}) as available_timeframes
    from available
    group by symbol
),

landed_timeframes as (
    select symbol, list(timeframe order by {{ timeframe_seconds('timeframe') }}) as timeframes
    from (select distinct symbol, timeframe from landed) as t
    group by symbol
)

select
    l.symbol,
    split_part(l.symbol, '/', 1) as base,
    split_part(l.symbol, '/', 2) as quote,
    list(distinct l.exchange order by l.exchange) as exchanges,
    count(distinct l.exchange) as n_exchanges,
    min(l.first_ts) as first_ts,
    max(l.last_ts) as last_ts,
    any_value(t.timeframes) as timeframes,
    any_value(a.available_timeframes) as available_timeframes
from landed as l
inner join landed_timeframes as t on t.symbol = l.symbol
inner join available_lists as a on a.symbol = l.symbol
group by l.symbol
