-- Pairwise correlation of daily log returns between every two (exchange, symbol) series:
-- rolling over calendar windows of `correlation_window_days` days (30) ending on each day both
-- series have a return, emitted once the window holds `correlation_min_obs` (10) joint
-- returns, and once over the full period the two series share. Daily returns are
-- int_daily_returns' one-day returns (macro consecutive_daily_returns); a day without
-- candles breaks the return chain (no return that day or the next). A correlation that is undefined (a series with no
-- variation in the window) is null.
{%- set window_days = var('correlation_window_days', 30) | int %}
{%- set min_obs = var('correlation_min_obs', 10) | int %}

with returns as (
    {{ consecutive_daily_returns() }}
),

pairs as (
    select
        a.exchange as exchange_a,
        a.symbol as symbol_a,
        b.exchange as exchange_b,
        b.symbol as symbol_b,
        a.trade_date,
        a.log_return as return_a,
        b.log_return as return_b
    from returns as a
    inner join returns as b
        on a.trade_date = b.trade_date
        and (a.exchange < b.exchange or (a.exchange = b.exchange and a.symbol < b.symbol))
),

rolling as (
    select
        exchange_a, symbol_a, exchange_b, symbol_b,
        trade_date as window_end,
        count(*) over trailing_window as n_obs,
        corr(return_a, return_b) over trailing_window as correlation
    from pairs
    window trailing_window as (
        partition by exchange_a, symbol_a, exchange_b, symbol_b
        order by trade_date
        range between interval {{ window_days - 1 }} days preceding and current row
    )
),

full_period as (
    select
        exchange_a, symbol_a, exchange_b, symbol_b,
        min(trade_date) as window_start,
        max(trade_date) as window_end,
        count(*) as n_obs,
        corr(return_a, return_b) as correlation
    from pairs
    group by exchange_a, symbol_a, exchange_b, symbol_b
),

combined as (
    select
        exchange_a, symbol_a, exchange_b, symbol_b,
        'rolling' as window_type,
        {{ window_days }} as window_days,
        window_end - {{ window_days - 1 }} as window_start,
        window_end,
        n_obs,
        correlation
    from rolling
    where n_obs >= {{ min_obs }}

    union all

    select
        exchange_a, symbol_a, exchange_b, symbol_b,
        'full_period' as window_type,
        (window_end - window_start + 1)::integer as window_days,
        window_start,
        window_end,
        n_obs,
        correlation
    from full_period
    where n_obs >= 2
)

select
    exchange_a,
    symbol_a,
    exchange_b,
    symbol_b,
    window_type,
    window_days,
    window_start,
    window_end,
    n_obs,
    case when isnan(correlation) then null else correlation end as correlation
from combined
