{#-
  A model's required columns in one test: one row per column that holds NULLs,
  with how many. dbt's built-in not_null is one test node (one query, one
  result, one entry in the build's graph) per column; at ~200 required columns
  that per-node cost outweighed the warehouse's own computation. One scan here.
-#}
{% test not_null_columns(model, columns) %}
with null_rows as (
    select
    {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in columns %}
select '{{ column }}' as column_name, {{ adapter.quote(column) }} as null_rows from null_rows where {{ adapter.quote(column) }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
