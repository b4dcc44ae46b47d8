{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- Every trial of every published grid / random / tpe / nsga2 run, with its run's head, its
-- rank by the ranking objective and (nsga2) whether it is on the Pareto front. Built by run:
-- only runs whose publication is new are (re)computed; every earlier night's rows stay.
with runs as (
    {{ sweep_runs_to_build("r.method <> 'walk_forward'") }}
),

trials as (
    select t.*, r.objective, r.direction, r.goals, r.method,
           {{ sweep_metric_value('r.objective', 't') }} as objective_value
    from {{ ref('stg_sweep_trials') }} as t
    join runs as r on r.sweep = t.sweep and r.run_id = t.run_id
),

-- nsga2: each trial's value per objective, turned so that larger is better; trials with a
-- NULL objective are left out of the front (include/sweeps/results.pareto_front)
oriented as (
    select t.sweep, t.run_id, t.chunk_id, t.trial, g.metric,
           case when g.direction = 'maximize' then 1 else -1 end * {{ sweep_metric_value('g.metric', 't') }} as value
    from trials as t, unnest(t.goals) as goal(g)
    where t.method = 'nsga2'
),

complete as (
    select * from oriented
    qualify count(value) over (partition by sweep, run_id, chunk_id, trial)
          = count(*) over (partition by sweep, run_id, chunk_id, trial)
),

-- dominated: another trial at least as good on every objective and better on one
dominated as (
    select distinct a.sweep, a.run_id, a.chunk_id, a.trial
    from complete as a
    join complete as b on b.sweep = a.sweep and b.run_id = a.run_id and b.metric = a.metric
    group by a.sweep, a.run_id, a.chunk_id, a.trial, b.chunk_id, b.trial
    having bool_and(b.value >= a.value) and bool_or(b.value > a.value)
),

front as (
    select distinct sweep, run_id, chunk_id, trial from complete
    except
    select sweep, run_id, chunk_id, trial from dominated
)

select
    t.sweep,
    r.spec_digest,
    r.strategy,
    r.method,
    r.timeframe,
    t.run_id,
    t.loaded_at,
    t.chunk_id,
    t.trial,
    t.params,
    t.objective,
    -- 1 = best by the ranking objective; NULL last; ties in (chunk_id, trial) order
    row_number() over (
        partition by t.sweep, t.run_id
        order by case when t.direction = 'maximize' then t.objective_value else -t.objective_value end desc nulls last,
                 t.chunk_id, t.trial
    ) as objective_rank,
    case when t.method = 'nsga2' then f.trial is not null end as pareto,
    {%- for m in sweep_metrics() %}
    t.{{ m }},
    {%- endfor %}
    t.n_trades,
    t.per_series
from trials as t
join runs as r on r.sweep = t.sweep and r.run_id = t.run_id
left join front as f on f.sweep = t.sweep and f.run_id = t.run_id and f.chunk_id = t.chunk_id and f.trial = t.trial
