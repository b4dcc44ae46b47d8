{#-
  The body of the project's multi-column tests: `checks` is a list of [label, condition that
  marks a bad row]; one scan of the model counts each, and the result has one row per check
  with bad rows (failing: its label, bad_rows: how many). dbt makes one test node per built-in
  test and column, and at ~300 of them that per-node cost outweighed the checks themselves.
-#}
{% macro count_failures(model, checks) %}
with failures as (
    select
    {%- for label, condition in checks %}
        count(*) filter (where {{ condition }}) as check_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for label, condition in checks %}
select '{{ label | replace("'", "''") }}' as failing, check_{{ loop.index }} as bad_rows from failures where check_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endmacro %}
