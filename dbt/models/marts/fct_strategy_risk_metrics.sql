{{ config(tags=['sweeps']) }}
-- Per strategy: the risk metrics of its best out-of-sample run, the same metrics (and macro) as
-- fct_risk_metrics' rows per (exchange, symbol). Candidates: the latest published run of every
-- sweep of the strategy (stg_sweep_strategy_returns); the best is an out-of-sample run when the
-- strategy has one (walk_forward), then the highest Sharpe ratio, then the sweep's name. The
-- first daily return is measured from the day before (the run's initial capital). No benchmark.
with latest as (
    select sweep, run_id
    from {{ ref('stg_sweep_runs') }}
    qualify row_number() over (partition by sweep order by loaded_at desc, run_id desc) = 1
),

runs as (
    select s.*
    from {{ ref('stg_sweep_strategy_returns') }} as s
    join latest using (sweep, run_id)
    where s.daily_return is not null
),

returns as (
    select
        strategy,
        sweep,
        run_id,
        trade_date,
        coalesce(lag(trade_date) over (partition by strategy, sweep, run_id order by trade_date),
                 trade_date - 1) as prev_trade_date,
        daily_return as r,
        null::double as b
    from runs
),

heads as (
    select strategy, sweep, run_id, any_value(is_out_of_sample) as is_out_of_sample, any_value(score) as score,
           any_value(params::varchar)::json as params, any_value(loaded_at) as loaded_at
    from runs
    group by all
),

metrics as (
    {{ risk_metrics('returns', ['strategy', 'sweep', 'run_id'], risk_periods_per_year('1d')) }}
)

select
    heads.strategy,
    heads.sweep,
    heads.run_id,
    heads.loaded_at,
    heads.is_out_of_sample,
    heads.score,
    heads.params,
    {{ risk_periods_per_year('1d') }} as periods_per_year,
    metrics.* exclude (strategy, sweep, run_id)
from metrics
join heads using (strategy, sweep, run_id)
qualify row_number() over (
    partition by heads.strategy
    order by heads.is_out_of_sample desc, metrics.sharpe_ratio desc nulls last, heads.sweep
) = 1
