-- The equal-weight universe portfolio, one row per day: the paper portfolio the reports follow
-- until real portfolios exist. A day's return is the mean of the one-day simple returns of the
-- series that have one that day (rebalanced daily; macro consecutive_daily_returns), its
-- benchmark return the mean of those series' BTC benchmark returns. Equity compounds var
-- portfolio_capital from the day before the first return; pnl is the day's change in equity;
-- drawdown is measured from the running peak including the starting capital (docs/definitions.md);
-- breaker_level is the circuit breaker's level for that drawdown (var breaker_levels, the
-- engine's defaults: 1 warn at 5 %, 2 halve at 10 %, 3 halt at 15 %).
{%- set capital = var('portfolio_capital', 100000) %}
{%- set levels = var('breaker_levels', {'warn': 0.05, 'halve': 0.10, 'halt': 0.15}) %}
with returns as (
    {{ consecutive_daily_returns() }}
),

benchmarks as (
    select exchange, symbol, trade_date, benchmark_return
    from {{ ref('int_daily_returns') }}
),

days as (
    select
        r.trade_date,
        count(*) as n_series,
        avg(r.simple_return) as daily_return,
        avg(b.benchmark_return) as benchmark_return
    from returns as r
    left join benchmarks as b using (exchange, symbol, trade_date)
    group by r.trade_date
),

equity as (
    select
        *,
        trade_date - 1 as prev_trade_date,  -- returns span one day (consecutive_daily_returns)
        {{ capital }}::double * product(1 + daily_return) over running as equity
    from days
    window running as (order by trade_date rows between unbounded preceding and current row)
),

peaks as (
    select
        *,
        equity - coalesce(lag(equity) over (order by trade_date), {{ capital }}::double) as pnl,
        greatest({{ capital }}::double, max(equity) over (order by trade_date)) as running_peak
    from equity
)

select
    trade_date,
    prev_trade_date,
    n_series,
    daily_return,
    benchmark_return,
    equity,
    pnl,
    running_peak,
    equity / running_peak - 1 as drawdown,
    case
        when equity / running_peak - 1 <= -{{ levels['halt'] }} then 3
        when equity / running_peak - 1 <= -{{ levels['halve'] }} then 2
        when equity / running_peak - 1 <= -{{ levels['warn'] }} then 1
        else 0
    end as breaker_level
from peaks
