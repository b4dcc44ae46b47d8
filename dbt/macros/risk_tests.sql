{#- A generic test: rows where a boolean SQL expression is false (NULL counts as holding: metrics may be undefined). Usable on a model or a column (column_name is then only the label).
    `expressions` checks several in one scan: one row per expression that fails, with how many rows break it (count_failures). -#}
{% test risk_holds(model, expression=none, expressions=none, column_name=none) %}
{%- if expressions %}
{%- set checks = [] %}
{%- for check in expressions %}{% do checks.append([check, "not coalesce(" ~ check ~ ", true)"]) %}{% endfor %}
{{ count_failures(model, checks) }}
{%- else %}
select *
from {{ model }}
where not coalesce({{ expression }}, true)
{%- endif %}
{% endtest %}
