{#-
  risk_metrics(returns, keys, periods): every risk metric of docs/definitions.md, one row per group.

  returns: a relation or CTE name with the columns
      <keys...>, trade_date (the day a return ends on), prev_trade_date (the day of
      the close it starts from), r (simple return, not null), b (the benchmark's
      return over the same interval, or null)
  keys: the group columns (a list of names), e.g. ['exchange', 'symbol']
  periods: periods per year of the returns (risk_periods_per_year('1d') = 365)

  The SQL twin of include/metrics/risk.py:risk_metrics; tests hold them equal.
  Every metric is NULL with fewer than 2 returns, and a ratio over a zero
  denominator (constant series, no loss, no drawdown) is NULL, never inf.
  The risk-free rate and Sortino's MAR are per-period dbt vars (default 0).
-#}
{#-
  rolling_windows(as_of, keys, windows): the rolling windows to compute, one row per row e of `as_of`
  (<keys>, trade_date, ...) and window length w in `windows` (days): <keys>, window_days, as_of_date
  (= e.trade_date) and window_id, one integer naming the window. risk_metrics groups the windows'
  returns by window_id: its window functions partitioned by one integer instead of the keys, the
  window length and the date (tens of thousands of small partitions) took a third of the time.
-#}
{% macro rolling_windows(as_of, keys, windows) -%}
    select
        {%- for key in keys %}
        e.{{ key }},
        {%- endfor %}
        w.window_days,
        e.trade_date as as_of_date,
        row_number() over (order by {% for key in keys %}e.{{ key }}, {% endfor %}e.trade_date, w.window_days) as window_id
    from {{ as_of }} as e
    cross join (
        {%- for w in windows %}
        select {{ w }} as window_days{% if not loop.last %} union all{% endif %}
        {%- endfor %}
    ) as w
{%- endmacro %}

{#-
  rolling_window_returns(daily, keys, windows): risk_metrics' input for rolling windows. For each
  window of `windows` (macro rolling_windows) the rows of `daily` (<keys>, trade_date,
  prev_trade_date, daily_return, benchmark_return) of the same keys dated in
  (as_of_date - window_days, as_of_date], as window_id, trade_date, prev_trade_date, r, b.
-#}
{% macro rolling_window_returns(daily, keys, windows) -%}
    select
        w.window_id,
        d.trade_date,
        d.prev_trade_date,
        d.daily_return as r,
        d.benchmark_return as b
    from {{ windows }} as w
    join {{ daily }} as d
        on {% for key in keys %}d.{{ key }} = w.{{ key }} and {% endfor -%}
        d.trade_date > w.as_of_date - w.window_days
        and d.trade_date <= w.as_of_date
{%- endmacro %}

{#-
  rolling_as_of_days(daily, keys, compared): the rows of `daily` a rolling mart (re)computes windows
  ending on. A full build: all of them. An incremental one: per key, the days from the earliest one
  whose inputs differ from those the mart stored with its own row of that day (a return new,
  changed or gone; the `compared` columns, which daily and the mart both carry, too) onward:
  every window that holds a changed return ends on or after it. An hourly ingest changes today's
  return only, so one day per series is recomputed instead of every day of its history.
-#}
{% macro rolling_as_of_days(daily, keys, compared=[]) -%}
    {%- if is_incremental() -%}
    {%- set k = keys | join(', ') -%}
    {%- set extra = (', ' ~ compared | join(', ')) if compared else '' -%}
    select d.*
    from {{ daily }} as d
    join (
        select {{ k }}, min(trade_date) as since
        from (
            (select {{ k }}, trade_date, prev_trade_date, daily_return, benchmark_return{{ extra }} from {{ daily }}
             except
             select {{ k }}, as_of_date, as_of_prev_trade_date, as_of_return, as_of_benchmark_return{{ extra }}
             from {{ this }})
            union all
            (select {{ k }}, as_of_date, as_of_prev_trade_date, as_of_return, as_of_benchmark_return{{ extra }}
             from {{ this }}
             except
             select {{ k }}, trade_date, prev_trade_date, daily_return, benchmark_return{{ extra }} from {{ daily }})
        )
        group by all
    ) as changed
        on {% for key in keys %}changed.{{ key }} = d.{{ key }} and {% endfor %}d.trade_date >= changed.since
    {%- else -%}
    select * from {{ daily }}
    {%- endif -%}
{%- endmacro %}

{% macro risk_join(left, right, keys) -%}
  {%- for key in keys %}{{ left }}.{{ key }} = {{ right }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor -%}
{%- endmacro %}

{% macro risk_metrics(returns, keys, periods) %}
{%- set k = keys | join(', ') -%}
{%- set p = '(' ~ periods ~ ')::double' -%}
{%- set rf = '(' ~ var('risk_free_rate_per_period', 0.0) ~ ')::double' -%}
{%- set mar = '(' ~ var('risk_mar_per_period', 0.0) ~ ')::double' -%}
{%- set levels = risk_confidence_levels() -%}
with risk_obs as (
    select
        {{ k }}, trade_date, prev_trade_date, r, b,
        row_number() over (partition by {{ k }} order by trade_date) as bar,
        row_number() over (partition by {{ k }} order by r, trade_date) as rank_asc
    from {{ returns }}
),

-- first pass: counts, means, extremes, compounding, quantiles
risk_pass1 as (
    select
        {{ k }},
        count(*) as n,
        min(prev_trade_date) as start_date,
        max(trade_date) as end_date,
        avg(r) as mu,
        min(r) as r_min,
        max(r) as r_max,
        product(1 + r) as growth,
        sum(greatest(r - 0.0, 0.0)) as omega_gains,
        sum(greatest(0.0 - r, 0.0)) as omega_losses,
        {%- for level in levels %}
        quantile_cont(r, {{ level.tail }}) as q_{{ level.label }},
        {%- endfor %}
        count(b) as n_b,
        avg(case when b is not null then r end) as mu_rb,
        avg(b) as mu_b,
        min(case when b is not null then r end) as rb_min,
        max(case when b is not null then r end) as rb_max,
        min(b) as b_min,
        max(b) as b_max,
        avg(r - b) as mu_active,
        min(r - b) as active_min,
        max(r - b) as active_max
    from risk_obs
    group by {{ k }}
),

-- second pass: central moments, downside, tails, co-moments with the benchmark
risk_pass2 as (
    select
        {{ k }},
        sum((r - mu) * (r - mu)) as ss,
        avg(pow(r - mu, 2)) as m2,
        avg(pow(r - mu, 3)) as m3,
        avg(pow(r - mu, 4)) as m4,
        avg(least(r - {{ mar }}, 0.0) * least(r - {{ mar }}, 0.0)) as shortfall_sq,
        {%- for level in levels %}
        avg(case when rank_asc <= floor((n - 1) * {{ level.tail }}) + 1 then r end) as tail_{{ level.label }},
        {%- endfor %}
        sum((b - mu_b) * (r - mu_rb)) as sxy,
        sum((b - mu_b) * (b - mu_b)) as sxx,
        sum(case when b is not null then (r - mu_rb) * (r - mu_rb) end) as syy,
        sum(((r - b) - mu_active) * ((r - b) - mu_active)) as ss_active
    from risk_obs
    join risk_pass1 using ({{ k }})
    group by {{ k }}
),

-- wealth from 1 before the first return; the running peak includes that start
risk_depth as (
    select
        {{ k }}, bar, trade_date, wealth,
        greatest(1.0, max(wealth) over running) as peak,
        wealth / greatest(1.0, max(wealth) over running) - 1 as depth
    from (
        select
            {{ k }}, bar, trade_date,
            product(1 + r) over (partition by {{ k }} order by bar rows between unbounded preceding and current row) as wealth
        from risk_obs
    ) as risk_path
    window running as (partition by {{ k }} order by bar rows between unbounded preceding and current row)
),

risk_trough as (
    select {{ k }}, depth as max_drawdown, bar as trough_bar, trade_date as trough_date, peak as peak_value
    from risk_depth
    qualify row_number() over (partition by {{ k }} order by depth, bar) = 1
),

risk_episode as (
    select
        {% for key in keys %}t.{{ key }}, {% endfor %}
        t.max_drawdown, t.trough_bar, t.trough_date,
        coalesce(max(d.bar) filter (where d.bar <= t.trough_bar and d.wealth = t.peak_value), 0) as peak_bar,
        min(d.bar) filter (where d.bar > t.trough_bar and d.wealth >= t.peak_value) as recovery_bar
    from risk_trough as t
    join risk_depth as d on {{ risk_join('t', 'd', keys) }}
    group by all
),

risk_drawdown as (
    select
        {% for key in keys %}e.{{ key }}, {% endfor %}
        e.max_drawdown,
        e.max_drawdown < 0 as has_drawdown,
        coalesce(pk.trade_date, p1.start_date) as peak_date,
        e.trough_date,
        rc.trade_date as recovery_date,
        coalesce(e.recovery_bar, p1.n) - e.peak_bar as duration_bars,
        coalesce(rc.trade_date, p1.end_date) - coalesce(pk.trade_date, p1.start_date) as duration_days
    from risk_episode as e
    join risk_pass1 as p1 on {{ risk_join('e', 'p1', keys) }}
    left join risk_obs as pk on {{ risk_join('e', 'pk', keys) }} and pk.bar = e.peak_bar
    left join risk_obs as rc on {{ risk_join('e', 'rc', keys) }} and rc.bar = e.recovery_bar
),

risk_stats as (
    select
        *,
        sqrt(ss / (n - 1)) as sd,
        case when r_max > r_min then m3 / pow(m2, 1.5) end as skew,
        case when r_max > r_min then m4 / pow(m2, 2) - 3 end as kurt,
        case when n_b >= 2 and b_max > b_min then sxy / sxx end as slope
    from risk_pass1
    join risk_pass2 using ({{ k }})
    join risk_drawdown using ({{ k }})
)

select
    {{ k }},
    n as n_returns,
    start_date,
    end_date,
    case when n >= 2 then growth - 1 end as total_return,
    case when n >= 2 then pow(growth, {{ p }} / n) - 1 end as annual_return,
    case when n >= 2 then sd * sqrt({{ p }}) end as annual_volatility,
    case when n >= 2 and r_max > r_min then (mu - {{ rf }}) / sd * sqrt({{ p }}) end as sharpe_ratio,
    case when n >= 2 then sqrt(shortfall_sq) * sqrt({{ p }}) end as downside_deviation,
    case when n >= 2 and shortfall_sq > 0 then (mu - {{ mar }}) * {{ p }} / (sqrt(shortfall_sq) * sqrt({{ p }})) end as sortino_ratio,
    case when n >= 2 and max_drawdown < 0 then (pow(growth, {{ p }} / n) - 1) / abs(max_drawdown) end as calmar_ratio,
    case when n >= 2 and omega_losses > 0 then omega_gains / omega_losses end as omega_ratio,
    case when n >= 2 then max_drawdown end as max_drawdown,
    case when n >= 2 and has_drawdown then peak_date end as max_drawdown_peak_date,
    case when n >= 2 and has_drawdown then trough_date end as max_drawdown_trough_date,
    case when n >= 2 and has_drawdown then recovery_date end as max_drawdown_recovery_date,
    case when n >= 2 then (case when has_drawdown then duration_bars else 0 end) end as max_drawdown_duration_bars,
    case when n >= 2 then (case when has_drawdown then duration_days else 0 end) end as max_drawdown_duration_days,
    case when n >= 2 then skew end as skewness,
    case when n >= 2 then kurt end as excess_kurtosis,
    {%- for level in levels %}
    {%- set z = risk_normal_quantile(level.tail) %}
    {%- set a = '(' ~ level.tail ~ ')::double' %}
    {%- set phi = '(exp(-' ~ z ~ ' * ' ~ z ~ ' / 2) / sqrt(2 * pi()))' %}
    case when n >= 2 then -q_{{ level.label }} end as var_hist_{{ level.label }},
    case when n >= 2 then -tail_{{ level.label }} end as cvar_hist_{{ level.label }},
    case when n >= 2 then -(mu + {{ z }} * sd) end as var_gaussian_{{ level.label }},
    case when n >= 2 then -(mu - sd * {{ phi }} / {{ a }}) end as cvar_gaussian_{{ level.label }},
    case when n >= 2 then -(mu + sd * (
        {{ z }}
        + ({{ z }} * {{ z }} - 1) * skew / 6
        + (pow({{ z }}, 3) - 3 * {{ z }}) * kurt / 24
        - (2 * pow({{ z }}, 3) - 5 * {{ z }}) * skew * skew / 36
    )) end as var_cornish_fisher_{{ level.label }},
    case when n >= 2 then -(mu + sd * (-({{ phi }} / {{ a }}) * (
        1
        + {{ z }} * skew / 6
        + ({{ z }} * {{ z }} - 1) * kurt / 24
        + (1 - 2 * {{ z }} * {{ z }}) * skew * skew / 36
    ))) end as cvar_cornish_fisher_{{ level.label }},
    {%- endfor %}
    n_b as n_benchmark_returns,
    case when n >= 2 then slope end as beta,
    case when n >= 2 then pow(1 + ((mu_rb - {{ rf }}) - slope * (mu_b - {{ rf }})), {{ p }}) - 1 end as alpha,
    case when n >= 2 and n_b >= 2 and b_max > b_min and rb_max > rb_min then sxy / sqrt(sxx * syy) end as correlation,
    case when n >= 2 and n_b >= 2 and active_max > active_min
        then mu_active / sqrt(ss_active / (n_b - 1)) * sqrt({{ p }}) end as information_ratio
from risk_stats
{% endmacro %}
