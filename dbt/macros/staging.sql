{#- Every landed candle partition (validated, under data/raw); the source's external_location
    in models/staging/_sources.yml reads the same files. -#}
{% macro landed_candles_glob() -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/raw/*/*/*/*/candles.parquet
{%- endmacro %}
