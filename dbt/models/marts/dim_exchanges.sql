-- One row per venue: the symbols it lists, the timeframes landed from it, the span and the
-- number of its landed candles (all symbols and timeframes).
with landed as (
    select exchange, symbol, timeframe, min(ts) as first_ts, max(ts) as last_ts, count(*) as candle_count
    from {{ ref('stg_candles') }}
    group by exchange, symbol, timeframe
),

landed_timeframes as (
    select exchange, list(timeframe order by {{ timeframe_seconds('timeframe') }}) as timeframes
    from (select distinct exchange, timeframe from landed) as t
    group by exchange
)

select
    l.exchange,
    list(distinct l.symbol order by l.symbol) as symbols,
    count(distinct l.symbol) as n_symbols,
    any_value(t.timeframes) as timeframes,
    min(l.first_ts) as first_ts,
    max(l.last_ts) as last_ts,
    sum(l.candle_count)::bigint as candle_count
from landed as l
inner join landed_timeframes as t on t.exchange = l.exchange
group by l.exchange
