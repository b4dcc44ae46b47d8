-- Full-period risk metrics per (exchange, symbol) on daily simple returns.
-- Definitions: docs/definitions.md (dbt docs block risk_definitions); the SQL is macros/risk_metrics.sql.
with returns as (
    select
        exchange,
        symbol,
        trade_date,
        prev_trade_date,
        daily_return as r,
        benchmark_return as b
    from {{ ref('int_daily_returns') }}
    where daily_return is not null
),

series as (
    select exchange, symbol, any_value(timeframe) as source_timeframe, any_value(benchmark_symbol) as benchmark_symbol
    from {{ ref('int_daily_returns') }}
    group by all
),

metrics as (
    {{ risk_metrics('returns', ['exchange', 'symbol'], risk_periods_per_year('1d')) }}
)

select
    series.exchange,
    series.symbol,
    series.source_timeframe,
    series.benchmark_symbol,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (exchange, symbol)
from metrics
join series using (exchange, symbol)
