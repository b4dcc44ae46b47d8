{#-
  Timeframe strings ('15m', '1h', '1d'), as include/timeframes.py reads them:
  <n><s|m|h|d|w>. The one SQL definition every layer uses.
-#}

{#- Length of a timeframe column in seconds; NULL when it is not <n><s|m|h|d|w>. -#}
{% macro timeframe_seconds(column) -%}
  (
    try_cast(regexp_extract({{ column }}, '^(\d+)[smhdw]$', 1) as bigint)
    * case regexp_extract({{ column }}, '^\d+([smhdw])$', 1)
        when 's' then 1 when 'm' then 60 when 'h' then 3600 when 'd' then 86400 when 'w' then 604800
      end
  )
{%- endmacro %}

{#-
  Bars per 365-day year for a timeframe column ('1m' -> 525600, '1h' -> 8760,
  '1d' -> 365, '1w' -> 365/7), as a DOUBLE; NULL for a malformed or zero timeframe.
  Realised volatility is annualised with sqrt(periods_per_year(timeframe)).
-#}
{% macro periods_per_year(timeframe_column) -%}
  (31536000.0::double / nullif({{ timeframe_seconds(timeframe_column) }}, 0))
{%- endmacro %}
