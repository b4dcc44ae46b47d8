{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- depends_on: {{ source('sweeps', 'chunk_results') }}
-- The trials of published grid / random / tpe / nsga2 runs, typed, one row per
-- (sweep, run_id, chunk_id, trial); nothing else. Incremental by run: a run is (re)loaded
-- when its publication is new (a re-published run replaces all its rows), and the rows of
-- every earlier run stay, also after its folder is removed. The files are listed first
-- (macros/sweeps.sql) and read by name, so a build reads only the runs it loads and files of
-- other strategies never meet in one schema. NaN metrics (pandas) become NULL.
{%- set files = sweep_files_to_load("r.method <> 'walk_forward'") %}

with chunks as (
    select null::varchar as chunk_id, null::bigint as trial, null::varchar as params,
           {%- for m in sweep_metrics() %} null::double as {{ m }},{% endfor %}
           null::double as n_trades, null::varchar as per_series, null::varchar as filename
    where false
    {{ union_sweep_files(files) }}
)

select
    r.sweep,
    r.run_id,
    r.loaded_at,
    c.chunk_id,
    c.trial::bigint as trial,
    c.params::json as params,
    {%- for m in sweep_metrics() %}
    {{ sweep_double('c.' ~ m) }} as {{ m }},
    {%- endfor %}
    c.n_trades::bigint as n_trades,
    c.per_series::json as per_series,
    c.filename as source_file
from chunks as c
join {{ ref('stg_sweep_runs') }} as r
  on starts_with(c.filename, r.run_path || '/' || r.chunk_prefix) and r.method <> 'walk_forward'
-- a trial once per run, also if a stray copy of a chunk file sits beside it: its own file wins
qualify row_number() over (
    partition by r.sweep, r.run_id, c.chunk_id, c.trial
    order by c.filename = r.run_path || '/' || c.chunk_id || '.parquet' desc, c.filename
) = 1
