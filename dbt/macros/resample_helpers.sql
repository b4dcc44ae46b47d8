{#
  Helpers for the resampled-candle layer. Timeframes follow include/timeframes.py:
  <n><s|m|h|d|w>, e.g. 1m, 15m, 4h, 1d. Buckets are aligned on the Unix epoch
  (00:00 UTC for 1d), like the landed candles' own grid.
#}

{#- The coarser timeframes every landed series is resampled to (only those that are
    a multiple of, and coarser than, the landed timeframe). -#}
{% macro resample_target_timeframes() -%}
    {{ return(var('resample_timeframes', ['5m', '15m', '1h', '4h', '1d'])) }}
{%- endmacro %}


{#- Open time of the bucket of `bucket_seconds` that holds `ts_column` (epoch-aligned, TIMESTAMPTZ). -#}
{% macro resample_bucket_start(ts_column, bucket_seconds) -%}
    to_timestamp((epoch_ms({{ ts_column }}) // ({{ bucket_seconds }} * 1000)) * {{ bucket_seconds }})
{%- endmacro %}


{#- Candles at every timeframe a series has: its landed candles, plus resampled ones for the
    timeframes it was not landed at (a landed series wins over a resampled one). -#}
{% macro resample_candles_every_timeframe() -%}
    select exchange, symbol, timeframe, ts, open, high, low, close, volume, false as is_resampled
    from {{ ref('stg_candles') }}
    union all
    select r.exchange, r.symbol, r.timeframe, r.ts, r.open, r.high, r.low, r.close, r.volume, true as is_resampled
    from {{ ref('int_candles_resampled') }} as r
    where not exists (
        select 1 from {{ ref('stg_candles') }} as landed
        where landed.exchange = r.exchange and landed.symbol = r.symbol and landed.timeframe = r.timeframe
    )
{%- endmacro %}


{#- One-day returns per (exchange, symbol) from int_daily_returns, the one definition of a
    daily close and return (docs/definitions.md): its simple return and the log return, only
    where the previous close is the previous calendar day's. The day after a day without
    candles has no return here (a gap is not folded into a one-day return). -#}
{% macro consecutive_daily_returns() -%}
    select exchange, symbol, trade_date, close, daily_return as simple_return, ln(close / prev_close) as log_return
    from {{ ref('int_daily_returns') }}
    where days_spanned = 1 and prev_close > 0 and close > 0
{%- endmacro %}
