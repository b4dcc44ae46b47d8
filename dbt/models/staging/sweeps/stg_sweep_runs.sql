{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    on_schema_change='fail',
    tags=['sweeps']
) }}
-- One row per published sweep run: its manifest, typed; nothing else.
-- Incremental: a run stays after its folder is removed (the warehouse keeps every night's
-- results); a re-published run (a new loaded_at) replaces its row. Two manifests naming the
-- same sweep and run_id (folders renamed by hand): the later publication wins, and a row is only
-- ever replaced by a later one.
with manifests as (
    {% if sweep_files_exist(sweep_manifests_glob()) %}
    select * from {{ source('sweeps', 'published_runs') }}
    {% else %}
    -- no sweep published yet: an empty batch with the manifest's columns
    select null::varchar as sweep, null::varchar as run_id, null::varchar as spec_digest,
           null::varchar as strategy, null::varchar as method, null::varchar as timeframe,
           null::varchar as chunk_prefix, null::struct(metric varchar, direction varchar)[] as goals,
           null::struct(label varchar, exchange varchar, symbol varchar)[] as universe,
           null::timestamptz as loaded_at, null::varchar as filename
    where false
    {% endif %}
),

latest as (
    select * from manifests
    qualify row_number() over (partition by sweep, run_id order by loaded_at desc, filename desc) = 1
)

select
    m.sweep,
    m.run_id,
    m.spec_digest,
    m.strategy,
    m.method,
    m.timeframe,
    m.goals[1].metric as objective,
    m.goals[1].direction as direction,
    m.goals,
    m.universe,
    m.chunk_prefix,
    parse_dirpath(m.filename) as run_path,
    m.loaded_at
from latest as m
{% if is_incremental() %}
where not exists (select 1 from {{ this }} as t
                  where t.sweep = m.sweep and t.run_id = m.run_id and t.loaded_at >= m.loaded_at)
{% endif %}
