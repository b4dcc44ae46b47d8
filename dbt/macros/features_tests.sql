{#-
  fct_features' warm-up convention, every feature column in one scan: a column in
  `bars` (column: its first bar with a value) is NULL on a series' bars before that
  one and, unless it is in `nullable_after`, set on every bar from it on. Returns
  one row per column that breaks it, with how many rows do. (One test node per
  column cost more in dbt's per-node overhead than the checks themselves.)
-#}
{% test features_warmup(model, bars, nullable_after=[]) %}
with broken as (
    select
    {%- for column, first in bars.items() %}
        count(*) filter (where (bar_index < {{ first }} and {{ column }} is not null)
        {%- if column not in nullable_after %} or (bar_index >= {{ first }} and {{ column }} is null){% endif %}) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in bars %}
select '{{ column }}' as column_name, {{ column }} as broken_rows from broken where {{ column }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
