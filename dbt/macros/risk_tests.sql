{#- A generic test: rows where a boolean SQL expression is false (NULL counts as holding: metrics may be undefined). Usable on a model or a column (column_name is then only the label). -#}
{% test risk_holds(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce({{ expression }}, true)
{% endtest %}
