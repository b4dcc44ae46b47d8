{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- Per published grid / random / tpe / nsga2 run and series of its universe: the trial best on
-- that series alone by the ranking objective, with that series' own metrics (per_series).
-- NULL never wins (a series where every trial is NULL has no row); on a tie the first trial in
-- (chunk_id, trial) order wins. Built by run, like fct_sweep_trials. Each row carries the
-- overfitting odds of its trial (deflated Sharpe ratio, PBO, verdict) from the run's
-- overfitting.json (include/sweeps/odds.py picks the best by the same rule); NULL without one.
-- depends_on: {{ source('sweeps', 'overfitting_odds') }}
with runs as (
    {{ sweep_runs_to_build("r.method <> 'walk_forward'") }}
),

per_series as (
    select t.sweep, t.run_id, t.loaded_at, t.chunk_id, t.trial, t.params, r.objective, r.direction,
           u.s.exchange, u.s.symbol,
           t.per_series -> ('$."' || replace(u.s.label, '"', '\"') || '"') as metrics
    from {{ ref('stg_sweep_trials') }} as t
    join runs as r on r.sweep = t.sweep and r.run_id = t.run_id, unnest(r.universe) as u(s)
    where t.per_series is not null
),

typed as (
    select * exclude (metrics),
           {%- for m in sweep_metrics() %}
           {{ sweep_double("metrics ->> '" ~ m ~ "'") }} as {{ m }},
           {%- endfor %}
           (metrics ->> 'n_trades')::double::bigint as n_trades
    from per_series
    where metrics is not null
),

odds as (
    {{ sweep_odds() }}
),

valued as (
    select *, {{ sweep_metric_value('objective', 'typed') }} as objective_value
    from typed
)

select
    v.sweep,
    r.spec_digest,
    r.strategy,
    r.method,
    r.timeframe,
    v.run_id,
    v.loaded_at,
    v.exchange,
    v.symbol,
    v.objective,
    v.direction,
    v.chunk_id,
    v.trial,
    v.params,
    {%- for m in sweep_metrics() %}
    v.{{ m }},
    {%- endfor %}
    v.n_trades,
    {%- for c in sweep_odds_columns() %}
    o.{{ c[0] }}{{ "," if not loop.last }}
    {%- endfor %}
from valued as v
join runs as r on r.sweep = v.sweep and r.run_id = v.run_id
left join odds as o
  on o.run_path = r.run_path and o.exchange = v.exchange and o.symbol = v.symbol
 and o.chunk_id = v.chunk_id and o.trial = v.trial
where v.objective_value is not null
qualify row_number() over (
    partition by v.sweep, v.run_id, v.exchange, v.symbol
    order by case when v.direction = 'maximize' then v.objective_value else -v.objective_value end desc,
             v.chunk_id, v.trial
) = 1
