{#-
  The ledger's Parquet export the ledger models read (models/staging/ledger, models/marts/ledger):
  data/ledger/exports/<table>.parquet, written atomically by include/execution/ledger_export.py
  (include/execution/publish.py publishes it, then builds tag:ledger).
-#}

{% macro ledger_export_file(table) -%}
    {{ env_var('PEAKTRADE_DATA_DIR') }}/ledger/exports/{{ table }}.parquet
{%- endmacro %}

{#- True when the ledger has exported `table`; false while parsing and before the first paper
    trade, when the staging models build empty instead of failing on a missing file. -#}
{% macro ledger_export_exists(table) -%}
    {{ return(sweep_files_exist(ledger_export_file(table))) }}
{%- endmacro %}

{#- The quote currency of a ccxt unified symbol: USDT of BTC/USDT and of BTC/USDT:USDT. -#}
{% macro ledger_quote(symbol) -%}
    split_part(split_part({{ symbol }}, '/', 2), ':', 1)
{%- endmacro %}

{#- +1 for a buy, -1 for a sell: the sign that makes a cost (paying more, receiving less) positive. -#}
{% macro ledger_side_sign(side) -%}
    (case {{ side }} when 'buy' then 1 when 'sell' then -1 end)
{%- endmacro %}
