-- Rolling risk metrics of the equal-weight universe portfolio (fct_portfolio_daily) over 30 and
-- 90 days: for each day d with a return, the returns dated in (d - window_days, d]. The same
-- definitions and SQL (macro risk_metrics) as fct_risk_metrics_rolling; the benchmark is the
-- portfolio's mean BTC return. The reports read the row as of a period's last day.
{%- set windows = [30, 90] %}
with daily as (
    select 'equal_weight' as portfolio, trade_date, prev_trade_date, daily_return, benchmark_return
    from {{ ref('fct_portfolio_daily') }}
),

returns as (
    {{ rolling_window_returns('daily', ['portfolio'], windows) }}
),

metrics as (
    {{ risk_metrics('returns', ['portfolio', 'window_days', 'as_of_date'], risk_periods_per_year('1d')) }}
)

select
    metrics.portfolio,
    metrics.window_days,
    metrics.as_of_date,
    (select min(trade_date) from daily) <= metrics.as_of_date - metrics.window_days as is_full_window,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (portfolio, window_days, as_of_date)
from metrics
