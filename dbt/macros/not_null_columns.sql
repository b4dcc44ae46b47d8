{#- A model's required columns in one test (dbt's not_null is one node per column): one row per column holding NULLs. -#}
{% test not_null_columns(model, columns) %}
{%- set checks = [] %}
{%- for column in columns %}{% do checks.append([column, adapter.quote(column) ~ " is null"]) %}{% endfor %}
{{ count_failures(model, checks) }}
{% endtest %}
