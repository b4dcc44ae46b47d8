{#-
  fct_features' warm-up convention: the column is NULL on a series' first `bars`
  bars (bar_index < bars) and, unless `nullable_after`, set on every bar after.
  Returns the offending rows.
-#}
{% test features_warmup(model, column_name, bars, nullable_after=false) %}
select exchange, symbol, timeframe, ts, bar_index, {{ column_name }}
from {{ model }}
where (bar_index < {{ bars }} and {{ column_name }} is not null)
{%- if not nullable_after %}
   or (bar_index >= {{ bars }} and {{ column_name }} is null)
{%- endif %}
{% endtest %}
