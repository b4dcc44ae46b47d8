{#-
  Constants of the risk definitions (docs/definitions.md, dbt docs block risk_definitions).
  Python twin: include/metrics/risk.py (PERIODS_PER_YEAR, CONFIDENCE_LEVELS, normal_quantile).
-#}

{#- Bars per 365-day year. -#}
{% macro risk_periods_per_year(timeframe) -%}
  {%- set table = {"1m": 525600, "5m": 105120, "15m": 35040, "1h": 8760, "4h": 2190, "1d": 365} -%}
  {%- if timeframe not in table -%}
    {{ exceptions.raise_compiler_error("risk_periods_per_year: timeframe '" ~ timeframe ~ "' is not one of " ~ (table.keys() | list | join(', '))) }}
  {%- endif -%}
  {{ table[timeframe] }}
{%- endmacro %}

{#- Confidence levels reported for VaR / CVaR, with their loss-tail probability a = 1 - c and column suffix. -#}
{% macro risk_confidence_levels() -%}
  {{ return([
      {"label": "95", "tail": "0.05"},
      {"label": "99", "tail": "0.01"},
  ]) }}
{%- endmacro %}

{#-
  Inverse standard normal CDF at the loss-tail probability. DuckDB has no inverse
  normal CDF, so the values are constants, computed once with Python's
  statistics.NormalDist().inv_cdf (full double precision; a test re-derives them).
-#}
{% macro risk_normal_quantile(tail) -%}
  {%- set z = {"0.05": "-1.6448536269514726", "0.01": "-2.3263478740408408"} -%}
  {%- if tail | string not in z -%}
    {{ exceptions.raise_compiler_error("risk_normal_quantile: no constant for tail probability " ~ tail ~ "; add it (statistics.NormalDist().inv_cdf)") }}
  {%- endif -%}
  ({{ z[tail | string] }})::double
{%- endmacro %}
