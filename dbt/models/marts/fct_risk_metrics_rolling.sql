-- Rolling risk metrics per (exchange, symbol, window_days, as_of_date) on daily simple returns:
-- the returns dated in (as_of_date - window_days, as_of_date], for 30- and 90-day windows,
-- one row for each day that has a return. Same definitions and SQL as fct_risk_metrics.
{%- set windows = [30, 90] %}
with daily as (
    select exchange, symbol, trade_date, prev_trade_date, daily_return, benchmark_return
    from {{ ref('int_daily_returns') }}
    where daily_return is not null
),

returns as (
    {{ rolling_window_returns('daily', ['exchange', 'symbol'], windows) }}
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
    {{ risk_metrics('returns', ['exchange', 'symbol', 'window_days', 'as_of_date'], risk_periods_per_year('1d')) }}
)

select
    metrics.exchange,
    metrics.symbol,
    metrics.window_days,
    metrics.as_of_date,
    series.first_close_date <= metrics.as_of_date - metrics.window_days as is_full_window,
    series.source_timeframe,
    series.benchmark_symbol,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (exchange, symbol, window_days, as_of_date)
from metrics
join series using (exchange, symbol)
