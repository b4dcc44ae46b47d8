{#-
  The sweep results the sweep models read (models/staging/sweeps, models/marts/sweeps).
  A run of a sweep keeps its chunk files in data/sweeps/<sweep>/<run>/<chunk_id>.parquet
  (include/sweeps/run.py); publishing it (include/sweeps/publish.py) writes published.json
  beside them: the spec's head, goals and universe, and the time of publication.
-#}

{#- Every chunk file of every run; the source sweeps.chunk_results reads the same files. -#}
{% macro sweep_results_glob() -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/sweeps/*/*/*.parquet
{%- endmacro %}

{#- Every published run's manifest; the source sweeps.published_runs reads the same files. -#}
{% macro sweep_manifests_glob() -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/sweeps/*/*/published.json
{%- endmacro %}

{#- The metrics a sweep reports, in the order of include/sweeps/spec.py METRICS (a test compares them). -#}
{% macro sweep_metrics() -%}
    {{ return(["sharpe_ratio", "sortino_ratio", "calmar_ratio", "annual_return", "total_return",
               "max_drawdown", "annual_volatility"]) }}
{%- endmacro %}

{#- True when `glob` matches a file. False while parsing (nothing is executed then), and before
    the first sweep: the models then select an empty batch instead of failing on an empty glob. -#}
{% macro sweep_files_exist(glob) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set found = run_query("select count(*) from glob('" ~ glob ~ "')") -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- A metric column as double, NaN read as NULL (pandas writes NaN; the warehouse has NULL). -#}
{% macro sweep_double(expression) -%}
    case when isnan(({{ expression }})::double) then null else ({{ expression }})::double end
{%- endmacro %}

{#- The value of the metric named by the varchar expression `metric`, among the columns of `relation`. -#}
{% macro sweep_metric_value(metric, relation) -%}
    case {{ metric }}
    {%- for m in sweep_metrics() %} when '{{ m }}' then {{ relation }}.{{ m }}{% endfor %} end
{%- endmacro %}

{#- Chunk files of published runs to (re)load into `this`: runs of stg_sweep_runs whose method
    passes `method_condition` and whose publication (loaded_at) `this` does not hold yet, or all
    of them on a first build or a full refresh. Only files of the run's spec (chunk_prefix, as
    include/sweeps/results.collect reads them); a run folder since removed lists nothing. -#}
{% macro sweep_files_to_load(method_condition) -%}
    {%- if not execute or not sweep_files_exist(sweep_results_glob()) -%}{{ return([]) }}{%- endif -%}
    {%- set sql -%}
        select f.file
        from glob('{{ sweep_results_glob() }}') as f
        join {{ ref('stg_sweep_runs') }} as r
          on starts_with(f.file, r.run_path || '/' || r.chunk_prefix) and ends_with(f.file, '.parquet')
        where {{ method_condition }}
        {%- if is_incremental() %}
          and not exists (select 1 from {{ this }} as t
                          where t.sweep = r.sweep and t.run_id = r.run_id and t.loaded_at = r.loaded_at)
        {%- endif %}
        order by f.file
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}

{#- Runs of stg_sweep_runs a mart (re)builds: those whose publication `this` does not hold yet. -#}
{% macro sweep_runs_to_build(method_condition) -%}
    select *
    from {{ ref('stg_sweep_runs') }} as r
    where {{ method_condition }}
    {%- if is_incremental() %}
      and not exists (select 1 from {{ this }} as t
                      where t.sweep = r.sweep and t.run_id = r.run_id and t.loaded_at = r.loaded_at)
    {%- endif %}
{%- endmacro %}

{#- `union all by name` the chunk files listed by sweep_files_to_load (nothing when none), each row
    with its `filename`, onto an empty batch that fixes the columns' types. -#}
{% macro union_sweep_files(files) -%}
    {%- if files %}
    union all by name
    select * from read_parquet([{% for f in files %}'{{ f }}'{{ ", " if not loop.last }}{% endfor %}],
                               union_by_name = true, filename = true)
    {%- endif %}
{%- endmacro %}

{#- Every published run's best-run daily returns (include/sweeps/strategy_returns.py). -#}
{% macro sweep_strategy_returns_glob() -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/sweeps/*/*/strategy_returns/daily.parquet
{%- endmacro %}

{#- The overfitting odds of every published run's bests; the source sweeps.overfitting_odds reads
    the same files (include/sweeps/odds.py writes them). -#}
{% macro sweep_odds_glob() -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/sweeps/*/*/overfitting.json
{%- endmacro %}

{#- The odds rows with the run folder they came from (run_path, as stg_sweep_runs has it); an empty
    batch of the same columns before any run was published with odds. -#}
{% macro sweep_odds() -%}
    {%- if sweep_files_exist(sweep_odds_glob()) %}
    select parse_dirpath(filename) as run_path, * exclude (filename)
    from {{ source('sweeps', 'overfitting_odds') }}
    {%- else %}
    select null::varchar as run_path, null::varchar as label, null::varchar as exchange,
           null::varchar as symbol, null::varchar as chunk_id, null::bigint as trial,
           {%- for c in sweep_odds_columns() %} null::{{ c[1] }} as {{ c[0] }}{{ "," if not loop.last }}{% endfor %}
    where false
    {%- endif %}
{%- endmacro %}

{#- The odds columns fct_sweep_best carries, with their types, in order. -#}
{% macro sweep_odds_columns() -%}
    {{ return([("n_trials", "bigint"), ("n_days", "bigint"), ("sharpe_ratio_daily", "double"),
               ("sharpe_variance", "double"), ("expected_max_sharpe", "double"), ("psr", "double"),
               ("dsr", "double"), ("pbo", "double"), ("pbo_combinations", "bigint"), ("verdict", "varchar")]) }}
{%- endmacro %}
