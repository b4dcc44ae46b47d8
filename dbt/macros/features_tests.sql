{#-
  fct_features' warm-up convention, every feature column in one test: a column in `bars`
  (column: its first bar with a value) is NULL on a series' bars before that one and, unless
  it is in `nullable_after`, set on every bar from it on. One row per column that breaks it.
-#}
{% test features_warmup(model, bars, nullable_after=[]) %}
{%- set checks = [] %}
{%- for column, first in bars.items() %}
  {%- set early = "(bar_index < " ~ first ~ " and " ~ column ~ " is not null)" %}
  {%- set missing = "" if column in nullable_after else " or (bar_index >= " ~ first ~ " and " ~ column ~ " is null)" %}
  {%- do checks.append([column, early ~ missing]) %}
{%- endfor %}
{{ count_failures(model, checks) }}
{% endtest %}
