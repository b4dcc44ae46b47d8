-- Stress scenarios on the equal-weight universe portfolio: every (exchange, symbol) series
-- with daily returns, equally weighted among the series that have a return that day and
-- rebalanced daily. Daily returns are int_daily_returns' one-day simple returns (macro
-- consecutive_daily_returns); a window's return compounds them.
-- Rows: one 'portfolio' row and one 'series' row per series for each scenario.
--   historical_worst          the worst `stress_horizons` (1, 3, 7) day window of the portfolio
--                             (a full run of consecutive days), with each series' move over it
--   historical_declared       every window in var `stress_windows` (inclusive dates)
--   hypothetical_shock        every series down X percent, X in var `stress_shocks`
--   hypothetical_correlation  daily portfolio volatility as it is and with every correlation
--                             set to 1 (sum of weight x volatility), over the dates on which
--                             every series has a return
{%- set horizons = var('stress_horizons', [1, 3, 7]) %}
{%- set windows = var('stress_windows', []) %}
{%- set shocks = var('stress_shocks', []) %}

with returns as (
    {{ consecutive_daily_returns() }}
),

series_returns as (
    select exchange, symbol, trade_date, simple_return as daily_return
    from returns
),

universe as (
    select exchange, symbol, 1.0::double / count(*) over () as weight
    from (select distinct exchange, symbol from series_returns) as s
),

portfolio as (
    select trade_date, daily_return
    from {{ ref('fct_portfolio_daily') }}
),

trailing_returns as (
    {%- for n in horizons %}
    select
        {{ n }} as window_days,
        trade_date - {{ n - 1 }} as window_start,
        trade_date as window_end,
        count(*) over trailing_days as days_observed,
        exp(sum(ln(1 + daily_return)) over trailing_days) - 1 as window_return
    from portfolio
    window trailing_days as (order by trade_date range between interval {{ n - 1 }} days preceding and current row)
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

worst as (
    select
        'worst_' || window_days || 'd' as scenario,
        'historical_worst' as scenario_type,
        window_start,
        window_end,
        window_days
    from trailing_returns
    where days_observed = window_days
    qualify row_number() over (partition by window_days order by window_return, window_end) = 1
),

declared as (
    {%- if windows %}
    select scenario, 'historical_declared' as scenario_type, window_start, window_end,
        (window_end - window_start + 1)::integer as window_days
    from (values
        {%- for w in windows %}
        ('{{ w["name"] }}', date '{{ w["start"] }}', date '{{ w["end"] }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as t(scenario, window_start, window_end)
    {%- else %}
    select null::varchar as scenario, null::varchar as scenario_type, null::date as window_start,
        null::date as window_end, null::integer as window_days
    where false
    {%- endif %}
),

historical as (
    select * from worst
    union all
    select * from declared
),

historical_portfolio as (
    select
        h.scenario, h.scenario_type, h.window_start, h.window_end, h.window_days,
        'portfolio' as level,
        null::varchar as exchange,
        null::varchar as symbol,
        1.0::double as weight,
        count(p.trade_date) as days_observed,
        case when count(p.trade_date) > 0 then exp(sum(ln(1 + p.daily_return))) - 1 end as scenario_return,
        null::double as daily_volatility,
        null::double as daily_volatility_stressed
    from historical as h
    left join portfolio as p on p.trade_date between h.window_start and h.window_end
    group by h.scenario, h.scenario_type, h.window_start, h.window_end, h.window_days
),

historical_series as (
    select
        h.scenario, h.scenario_type, h.window_start, h.window_end, h.window_days,
        'series' as level,
        u.exchange,
        u.symbol,
        u.weight,
        count(s.trade_date) as days_observed,
        case when count(s.trade_date) > 0 then exp(sum(ln(1 + s.daily_return))) - 1 end as scenario_return,
        null::double as daily_volatility,
        null::double as daily_volatility_stressed
    from historical as h
    cross join universe as u
    left join series_returns as s
        on s.exchange = u.exchange and s.symbol = u.symbol
        and s.trade_date between h.window_start and h.window_end
    group by h.scenario, h.scenario_type, h.window_start, h.window_end, h.window_days, u.exchange, u.symbol, u.weight
),

shocks as (
    {%- if shocks %}
    select shock_pct from (values {% for x in shocks %}({{ x }}::double){{ ", " if not loop.last }}{% endfor %}) as t(shock_pct)
    {%- else %}
    select null::double as shock_pct where false
    {%- endif %}
),

shock_series as (
    select
        'down_' || case when shock_pct = floor(shock_pct) then shock_pct::bigint::varchar else shock_pct::varchar end || 'pct' as scenario,
        'hypothetical_shock' as scenario_type,
        null::date as window_start,
        null::date as window_end,
        null::integer as window_days,
        'series' as level,
        u.exchange,
        u.symbol,
        u.weight,
        null::bigint as days_observed,
        -shock_pct / 100 as scenario_return,
        null::double as daily_volatility,
        null::double as daily_volatility_stressed
    from shocks cross join universe as u
),

shock_portfolio as (
    select
        scenario, scenario_type, window_start, window_end, window_days,
        'portfolio' as level,
        null::varchar as exchange,
        null::varchar as symbol,
        sum(weight) as weight,
        null::bigint as days_observed,
        sum(weight * scenario_return) as scenario_return,
        null::double as daily_volatility,
        null::double as daily_volatility_stressed
    from shock_series
    group by scenario, scenario_type, window_start, window_end, window_days
),

common_dates as (
    select trade_date
    from series_returns
    group by trade_date
    having count(*) = (select count(*) from universe)
),

common_returns as (
    select s.*
    from series_returns as s
    inner join common_dates as d on d.trade_date = s.trade_date
),

common_span as (
    select min(trade_date) as window_start, max(trade_date) as window_end, count(*) as days_observed
    from common_dates
),

series_volatility as (
    select
        u.exchange,
        u.symbol,
        u.weight,
        stddev_samp(c.daily_return) as daily_volatility
    from universe as u
    left join common_returns as c on c.exchange = u.exchange and c.symbol = u.symbol
    group by u.exchange, u.symbol, u.weight
),

correlation_series as (
    select
        'correlations_to_one' as scenario,
        'hypothetical_correlation' as scenario_type,
        span.window_start,
        span.window_end,
        (span.window_end - span.window_start + 1)::integer as window_days,
        'series' as level,
        v.exchange,
        v.symbol,
        v.weight,
        span.days_observed,
        null::double as scenario_return,
        v.daily_volatility,
        v.daily_volatility as daily_volatility_stressed
    from series_volatility as v
    cross join common_span as span
),

correlation_portfolio as (
    select
        'correlations_to_one' as scenario,
        'hypothetical_correlation' as scenario_type,
        span.window_start,
        span.window_end,
        (span.window_end - span.window_start + 1)::integer as window_days,
        'portfolio' as level,
        null::varchar as exchange,
        null::varchar as symbol,
        1.0::double as weight,
        span.days_observed,
        null::double as scenario_return,
        (select stddev_samp(r) from (
            select avg(daily_return) as r from common_returns group by trade_date
        ) as p) as daily_volatility,
        (select sum(weight * daily_volatility) from series_volatility) as daily_volatility_stressed
    from common_span as span
)

select * from historical_portfolio
union all by name select * from historical_series
union all by name select * from shock_portfolio
union all by name select * from shock_series
union all by name select * from correlation_portfolio
union all by name select * from correlation_series
