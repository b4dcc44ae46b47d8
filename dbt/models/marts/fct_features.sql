{{ config(
    materialized='incremental',
    unique_key=['exchange', 'symbol', 'timeframe', 'ts'],
    on_schema_change='fail'
) }}
-- Technical features per exchange, symbol, timeframe and bar: the candle and the numeric
-- indicators int_indicators computed (TA-Lib's recursions, rolling statistics), the
-- Bollinger bands and %B, candle shape and two regime labels. Values before an
-- indicator's warm-up are NULL. Incremental: the rows int_indicators (re)computed since
-- this model's last run, matched on computed_at, so a series that int_indicators
-- recomputed from bar 0 (a backfill changed its history) is replaced here too.

with indicators as (
    select *
    from {{ ref('int_indicators') }}
    {% if is_incremental() %}
    where computed_at > (select coalesce(max(computed_at), '-infinity'::timestamptz) from {{ this }})
    {% endif %}
),

bars as (
    select
        * exclude (close_std_20, state),
        sma_20 + 2 * close_std_20 as bb_upper,
        sma_20 as bb_middle,
        sma_20 - 2 * close_std_20 as bb_lower
    from indicators
)

select
    exchange, symbol, timeframe, ts, trade_date, bar_index,
    open, high, low, close, volume,
    ret_simple, ret_log,
    sma_10, sma_20, sma_50, ema_10, ema_20, ema_50,
    rsi_14, macd, macd_signal, macd_hist,
    bb_upper, bb_middle, bb_lower,
    case when bb_upper > bb_lower then (close - bb_lower) / (bb_upper - bb_lower) end as bb_pct_b,
    atr_14, stoch_k, stoch_d,
    rv_20, rv_60, volume_z_20,
    abs(close - open) as body,
    high - greatest(open, close) as upper_wick,
    least(open, close) - low as lower_wick,
    rv_20_pctile_500,
    case
        when rv_20_pctile_500 < 0.33 then 'low'
        when rv_20_pctile_500 > 0.67 then 'high'
        when rv_20_pctile_500 is not null then 'normal'
    end as vol_regime,
    sma_50_slope,
    case
        when close > sma_50 and sma_50_slope > 0 then 'up'
        when close < sma_50 and sma_50_slope < 0 then 'down'
        when sma_50_slope is not null then 'flat'
    end as trend_regime,
    computed_at
from bars
