{#-
  Bars per 365-day year for a timeframe column ('1m' -> 525600, '1h' -> 8760,
  '1d' -> 365, '1w' -> 365/7), as a DOUBLE SQL expression; NULL for a string
  that is not <n><s|m|h|d|w> (the config schema admits no other).
  Realised volatility is annualised with sqrt(periods_per_year(timeframe)).
-#}
{% macro periods_per_year(timeframe_column) -%}
  (
    31536000.0::double / nullif(
      try_cast(regexp_extract({{ timeframe_column }}, '^(\d+)[smhdw]$', 1) as bigint)
      * case regexp_extract({{ timeframe_column }}, '^\d+([smhdw])$', 1)
          when 's' then 1 when 'm' then 60 when 'h' then 3600 when 'd' then 86400 when 'w' then 604800
        end,
      0
    )
  )
{%- endmacro %}
