{{ config(
    materialized='incremental',
    unique_key=['portfolio', 'window_days', 'as_of_date'],
    post_hook="delete from {{ this }} as m where m.as_of_date not in (select trade_date from {{ ref('fct_portfolio_daily') }})"
) }}
-- Rolling risk metrics of the equal-weight universe portfolio (fct_portfolio_daily) over 30 and
-- 90 days: for each day d with a return, the returns dated in (d - window_days, d]. The same
-- definitions and SQL (macro risk_metrics) as fct_risk_metrics_rolling; the benchmark is the
-- portfolio's mean BTC return. The reports read the row as of a period's last day.
-- Incremental like fct_risk_metrics_rolling (macro rolling_as_of_days): from the first day whose
-- portfolio return differs from the one stored with that day's row.
{%- set windows = [30, 90] %}
with daily as (
    select 'equal_weight' as portfolio, trade_date, prev_trade_date, daily_return, benchmark_return
    from {{ ref('fct_portfolio_daily') }}
),

as_of_days as (
    {{ rolling_as_of_days('daily', ['portfolio']) }}
),

rolling_windows as (
    {{ rolling_windows('as_of_days', ['portfolio'], windows) }}
),

returns as (
    {{ rolling_window_returns('daily', ['portfolio'], 'rolling_windows') }}
),

metrics as (
    {{ risk_metrics('returns', ['window_id'], risk_periods_per_year('1d')) }}
)

select
    win.portfolio,
    win.window_days,
    win.as_of_date,
    (select min(trade_date) from daily) <= win.as_of_date - win.window_days as is_full_window,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (window_id),
    day.prev_trade_date as as_of_prev_trade_date,
    day.daily_return as as_of_return,
    day.benchmark_return as as_of_benchmark_return
from metrics
join rolling_windows as win using (window_id)
join as_of_days as day
    on day.portfolio = win.portfolio and day.trade_date = win.as_of_date
