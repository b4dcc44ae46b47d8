{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- depends_on: {{ source('sweeps', 'chunk_results') }}
-- The folds of published walk_forward runs, typed, one row per (sweep, run_id, fold);
-- nothing else. Loaded by run like stg_sweep_trials. NaN metrics (pandas) become NULL.
-- Out-of-sample metrics come before in-sample ones: they are what a fold's params earned on bars
-- they were not chosen on. Files written before schemes existed are rolling folds without a purge (windows NULL).
{%- set files = sweep_files_to_load("r.method = 'walk_forward'") %}
{%- set windows = ['in_sample_start', 'in_sample_end', 'out_of_sample_start', 'out_of_sample_end'] %}
{%- set measured = sweep_metrics() + ['n_trades'] %}

with chunks as (
    select null::varchar as chunk_id, null::bigint as fold,
           {%- for w in windows %} null::timestamptz as {{ w }},{% endfor %}
           null::varchar as scheme, null::bigint as purge_bars, null::bigint as embargo_bars,
           null::varchar as train_windows, null::varchar as test_windows, null::varchar as test_groups,
           null::bigint as trial, null::bigint as inner_trials, null::varchar as params,
           {%- for m in measured %} null::double as is_{{ m }}, null::double as oos_{{ m }},{% endfor %}
           {%- for m in sweep_metrics() %} null::double as degradation_{{ m }}, null::double as degradation_ratio_{{ m }},{% endfor %}
           null::varchar as filename
    where false
    {{ union_sweep_files(files) }}
)

select
    r.sweep,
    r.run_id,
    r.loaded_at,
    c.chunk_id,
    c.fold::bigint as fold,
    {%- for w in windows %}
    c.{{ w }}::timestamptz as {{ w }},
    {%- endfor %}
    coalesce(c.scheme, 'rolling') as scheme,
    coalesce(c.purge_bars, 0)::bigint as purge_bars,
    coalesce(c.embargo_bars, 0)::bigint as embargo_bars,
    c.train_windows::json as train_windows,  -- [[from, to], ...] UTC; NULL in files older than schemes
    c.test_windows::json as test_windows,
    coalesce(c.test_groups, '[]')::json as test_groups,
    c.trial::bigint as trial,
    c.inner_trials::bigint as inner_trials,
    c.params::json as params,
    {%- for m in sweep_metrics() %}
    {{ sweep_double('c.oos_' ~ m) }} as oos_{{ m }},
    {%- endfor %}
    c.oos_n_trades::bigint as oos_n_trades,
    {%- for m in sweep_metrics() %}
    {{ sweep_double('c.is_' ~ m) }} as is_{{ m }},
    {%- endfor %}
    c.is_n_trades::bigint as is_n_trades,
    {%- for m in sweep_metrics() %}
    {{ sweep_double('c.degradation_' ~ m) }} as degradation_{{ m }},
    {%- endfor %}
    {%- for m in sweep_metrics() %}
    {{ sweep_double('c.degradation_ratio_' ~ m) }} as degradation_ratio_{{ m }},
    {%- endfor %}
    c.filename as source_file
from chunks as c
join {{ ref('stg_sweep_runs') }} as r
  on starts_with(c.filename, r.run_path || '/' || r.chunk_prefix) and r.method = 'walk_forward'
-- a fold once per run, also if a stray copy of a chunk file sits beside it: its own file wins
qualify row_number() over (
    partition by r.sweep, r.run_id, c.fold
    order by c.filename = r.run_path || '/' || c.chunk_id || '.parquet' desc, c.filename
) = 1
