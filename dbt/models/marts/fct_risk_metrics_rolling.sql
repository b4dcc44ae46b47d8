{{ config(
    materialized='incremental',
    unique_key=['exchange', 'symbol', 'window_days', 'as_of_date'],
    post_hook="delete from {{ this }} as m where not exists (select 1 from {{ ref('int_daily_returns') }} as d
               where d.exchange = m.exchange and d.symbol = m.symbol and d.trade_date = m.as_of_date
               and d.daily_return is not null)"
) }}
-- Rolling risk metrics per (exchange, symbol, window_days, as_of_date) on daily simple returns:
-- the returns dated in (as_of_date - window_days, as_of_date], for 30- and 90-day windows,
-- one row for each day that has a return. Same definitions and SQL as fct_risk_metrics.
-- Incremental (macro rolling_as_of_days): each row keeps its day's own return (as_of_*); a run
-- recomputes a series' windows from the first day whose return (or the series' source timeframe
-- or benchmark) differs from the stored one, and the post_hook drops days whose return is gone.
{%- set windows = [30, 90] %}
with daily as (
    select
        exchange, symbol, trade_date, prev_trade_date, daily_return, benchmark_return,
        timeframe as source_timeframe, benchmark_symbol
    from {{ ref('int_daily_returns') }}
    where daily_return is not null
),

as_of_days as (
    {{ rolling_as_of_days('daily', ['exchange', 'symbol'], ['source_timeframe', 'benchmark_symbol']) }}
),

rolling_windows as (
    {{ rolling_windows('as_of_days', ['exchange', 'symbol'], windows) }}
),

returns as (
    {{ rolling_window_returns('daily', ['exchange', 'symbol'], 'rolling_windows') }}
),

series as (
    select
        exchange,
        symbol,
        any_value(timeframe) as source_timeframe,
        any_value(benchmark_symbol) as benchmark_symbol,
        min(trade_date) as first_close_date
    from {{ ref('int_daily_returns') }}
    group by all
),

metrics as (
    {{ risk_metrics('returns', ['window_id'], risk_periods_per_year('1d')) }}
)

select
    win.exchange,
    win.symbol,
    win.window_days,
    win.as_of_date,
    series.first_close_date <= win.as_of_date - win.window_days as is_full_window,
    series.source_timeframe,
    series.benchmark_symbol,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (window_id),
    day.prev_trade_date as as_of_prev_trade_date,
    day.daily_return as as_of_return,
    day.benchmark_return as as_of_benchmark_return
from metrics
join rolling_windows as win using (window_id)
join series on series.exchange = win.exchange and series.symbol = win.symbol
join as_of_days as day
    on day.exchange = win.exchange and day.symbol = win.symbol and day.trade_date = win.as_of_date
