-- Daily closes and simple returns per (exchange, symbol), with the exchange's BTC benchmark return.
-- The daily close is the last close of the UTC day in the series' timeframe with the longest
-- daily history (most days with candles; ties to the finest, then by name: docs/definitions.md);
-- a day without candles is absent (no row), never a zero return. See docs/definitions.md.
with candles as (
    select exchange, symbol, timeframe, ts, close
    from {{ ref('stg_candles') }}
),

daily_source as (
    -- the timeframe with the most days of candles (a year of 1h beats 3 days of 1m); ties to
    -- the shortest bar, then by name, so the choice is stable
    select exchange, symbol, timeframe
    from (
        select exchange, symbol, timeframe, count(distinct timezone('UTC', ts)::date) as days
        from candles
        group by all
    )
    qualify row_number() over (
        partition by exchange, symbol
        order by days desc, {{ timeframe_seconds('timeframe') }} nulls last, timeframe
    ) = 1
),

daily_closes as (
    select
        c.exchange,
        c.symbol,
        c.timeframe,
        timezone('UTC', c.ts)::date as trade_date,
        arg_max(c.close, c.ts) as close,
        max(c.ts) as last_candle_ts
    from candles as c
    join daily_source using (exchange, symbol, timeframe)
    group by all
),

daily_returns as (
    select
        *,
        lag(trade_date) over series as prev_trade_date,
        lag(close) over series as prev_close,
        close / lag(close) over series - 1 as daily_return
    from daily_closes
    window series as (partition by exchange, symbol order by trade_date)
),

benchmarks as (
    -- the exchange's BTC series: BTC/USD, else BTC/USDT, else BTC/USDC, else the first BTC/* by name
    select exchange, symbol as benchmark_symbol
    from daily_source
    where split_part(symbol, '/', 1) = 'BTC'
    qualify row_number() over (
        partition by exchange
        order by case split_part(symbol, '/', 2) when 'USD' then 1 when 'USDT' then 2 when 'USDC' then 3 else 4 end, symbol
    ) = 1
)

select
    r.exchange,
    r.symbol,
    r.timeframe,
    r.trade_date,
    r.close,
    r.last_candle_ts,
    r.prev_trade_date,
    r.prev_close,
    r.trade_date - r.prev_trade_date as days_spanned,
    r.daily_return,
    bm.benchmark_symbol,
    -- the benchmark's return only when it spans the same interval (same start and end day)
    b.daily_return as benchmark_return
from daily_returns as r
left join benchmarks as bm
    on bm.exchange = r.exchange
left join daily_returns as b
    on b.exchange = bm.exchange
    and b.symbol = bm.benchmark_symbol
    and b.trade_date = r.trade_date
    and b.prev_trade_date = r.prev_trade_date
