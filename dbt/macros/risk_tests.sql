{#- A generic test: rows where a boolean SQL expression is false (NULL counts as holding: metrics may be undefined). Usable on a model or a column (column_name is then only the label).
    `expressions` checks several in one scan: one row per expression that fails, with how many rows break it. -#}
{% test risk_holds(model, expression=none, expressions=none, column_name=none) %}
{%- if expressions %}
with broken as (
    select
    {%- for check in expressions %}
        count(*) filter (where not coalesce({{ check }}, true)) as check_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for check in expressions %}
select {{ "'" ~ check | replace("'", "''") ~ "'" }} as expression, check_{{ loop.index }} as broken_rows from broken where check_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}
{%- else %}
select *
from {{ model }}
where not coalesce({{ expression }}, true)
{%- endif %}
{% endtest %}
