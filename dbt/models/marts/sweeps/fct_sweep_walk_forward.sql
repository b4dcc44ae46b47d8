{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- The folds of every published walk_forward run with its run's head. Built by run, like
-- fct_sweep_trials. Walk-forward chunk files keep no inner trials, so these runs add nothing
-- to fct_sweep_trials or fct_sweep_best.
with runs as (
    {{ sweep_runs_to_build("r.method = 'walk_forward'") }}
)

select
    f.sweep,
    r.spec_digest,
    r.strategy,
    r.method,
    r.timeframe,
    f.run_id,
    f.loaded_at,
    f.* exclude (sweep, run_id, loaded_at, chunk_id, source_file)
from {{ ref('stg_sweep_folds') }} as f
join runs as r on r.sweep = f.sweep and r.run_id = f.run_id
