{{ config(
    materialized='incremental',
    unique_key=['sweep', 'run_id'],
    tags=['sweeps']
) }}
-- The daily returns of each published run's best run (include/sweeps/strategy_returns.py: for
-- walk_forward the chained out-of-sample windows, otherwise the best trial in sample), one row
-- per (sweep, run_id, trade_date). Incremental by run like stg_sweep_trials: a run's rows stay
-- after its folder is removed; a re-published run (a new loaded_at) replaces them.
with files as (
    {% if sweep_files_exist(sweep_strategy_returns_glob()) %}
    select * from read_parquet('{{ sweep_strategy_returns_glob() }}', union_by_name = true, filename = true)
    {% else %}
    select null::varchar as sweep, null::varchar as run_id, null::varchar as strategy, null::date as trade_date,
           null::double as daily_return, null::boolean as is_out_of_sample, null::varchar as score,
           null::varchar as params, null::varchar as filename
    where false
    {% endif %}
)

select
    r.sweep,
    r.run_id,
    r.strategy,
    r.loaded_at,
    f.trade_date::date as trade_date,
    {{ sweep_double('f.daily_return') }} as daily_return,
    f.is_out_of_sample,
    f.score,
    f.params::json as params
from files as f
join {{ ref('stg_sweep_runs') }} as r
  on r.sweep = f.sweep and r.run_id = f.run_id
 and f.filename = r.run_path || '/strategy_returns/daily.parquet'
{% if is_incremental() %}
where not exists (select 1 from {{ this }} as t
                  where t.sweep = r.sweep and t.run_id = r.run_id and t.loaded_at = r.loaded_at)
{% endif %}
