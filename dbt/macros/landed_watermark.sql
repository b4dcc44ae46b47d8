{#-
  The landed-file watermark of the incremental models that aggregate stg_candles across time
  (int_candles_resampled, int_consolidated_price). Each row stores landed_through, the newest
  landed file (stg_candles.source_modified) the run that wrote it saw; the next run recomputes,
  per `keys`, from the earliest candle of a file landed since (new, re-landed or backfilled).
  `>=`: the files of the watermark's own second are taken again, so a file landed in that second
  after the run read stg_candles is never missed (an hourly ingest's few files; harmless).
  A landed file deleted without a replacement needs --full-refresh.
-#}
{% macro landed_since(keys) -%}
    select {{ keys | join(', ') }}, min(ts) as since
    from {{ ref('stg_candles') }}
    where source_modified >= (select coalesce(max(landed_through), '-infinity'::timestamp) from {{ this }})
    group by all
{%- endmacro %}

{% macro landed_through() -%}
    (select max(source_modified) from {{ ref('stg_candles') }})
{%- endmacro %}
