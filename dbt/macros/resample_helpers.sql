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


{#- Daily closes and returns per (exchange, symbol): the close of the 1d candle (landed, or
    resampled from the finest candles; UTC days), its simple return close / previous close - 1
    and its log return. A return needs the previous calendar day's close: the day after a day
    without candles has no return (a gap is not folded into a one-day return). -#}
{% macro resample_daily_returns() -%}
    select exchange, symbol, trade_date, close, close / prev_close - 1 as simple_return, ln(close / prev_close) as log_return
    from (
        select
            exchange,
            symbol,
            (ts at time zone 'UTC')::date as trade_date,
            close,
            lag(close) over by_series as prev_close,
            lag((ts at time zone 'UTC')::date) over by_series as prev_date
        from ({{ resample_candles_every_timeframe() }}) as candles
        where timeframe = '1d'
        window by_series as (partition by exchange, symbol order by ts)
    ) as daily
    where prev_date = trade_date - 1 and prev_close > 0 and close > 0
{%- endmacro %}
