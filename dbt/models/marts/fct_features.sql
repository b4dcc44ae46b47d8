-- Technical features per exchange, symbol, timeframe and bar: TA-Lib 0.8's
-- indicators (the recursive ones and TA-Lib's running-total SMAs in recursive CTEs
-- that replay TA-Lib's arithmetic), rolling statistics over one shared WINDOW per
-- select, candle shape and two regime labels. Each series on its own bars in time
-- order: a bar's predecessor is the previous candle, so gaps stay gaps. Values
-- before an indicator's warm-up are NULL. Formulation and timings: _features.yml.
with recursive

candles as (
    select
        exchange, symbol, timeframe, ts, trade_date, open, high, low, close, volume,
        dense_rank() over (order by exchange, symbol, timeframe) as series_id,
        row_number() over w - 1 as bar_index,
        lag(close) over w as prev_close
    from {{ ref('stg_candles') }}
    window w as (partition by exchange, symbol, timeframe order by ts)
),

rolling as (
    select
        *,
        close / prev_close - 1 as ret_simple,
        ln(close / prev_close) as ret_log,
        -- Bollinger deviation: population std (ddof 0), exactly 0 on a flat window as in TA-Lib.
        case
            when max(close) over (w rows between 19 preceding and current row)
                = min(close) over (w rows between 19 preceding and current row) then 0.0
            else stddev_pop(close) over (w rows between 19 preceding and current row)
        end as close_std_20,
        max(high) over (w rows between 13 preceding and current row) as highest_14,
        min(low) over (w rows between 13 preceding and current row) as lowest_14,
        avg(volume) over (w rows between 19 preceding and current row) as volume_mean_20,
        stddev_samp(volume) over (w rows between 19 preceding and current row) as volume_std_20
    from candles
    window w as (partition by exchange, symbol, timeframe order by ts)
),

returns_rolling as materialized (
    select
        *,
        stddev_samp(ret_log) over (w rows between 19 preceding and current row) as ret_log_std_20,
        stddev_samp(ret_log) over (w rows between 59 preceding and current row) as ret_log_std_60,
        -- TA-Lib STOCH's raw %K: (close - lowest low) / (highest high - lowest low) * 100, 0 on a flat range.
        case
            when bar_index >= 13 then
                case when highest_14 - lowest_14 != 0 then (close - lowest_14) / (highest_14 - lowest_14) * 100 else 0.0 end
        end as fast_k
    from rolling
    window w as (partition by exchange, symbol, timeframe order by ts)
),

-- The inputs of the recursions; step_id orders every bar of every series.
steps as materialized (
    select
        series_id * 4294967296 + bar_index as step_id,
        bar_index,
        close,
        greatest(close - prev_close, 0.0) as gain,
        greatest(prev_close - close, 0.0) as loss,
        greatest(high - low, abs(prev_close - high), abs(prev_close - low)) as true_range,
        lag(close, 10) over w as close_lag10,
        lag(close, 20) over w as close_lag20,
        lag(close, 50) over w as close_lag50,
        fast_k,
        lag(fast_k, 3) over w as fast_k_lag3
    from returns_rolling
    window w as (partition by series_id order by bar_index)
),

-- TA-Lib's recursions, every series stepped in lockstep, one bar per iteration.
-- warmup: bars 0-49 from an all-zero state before bar 0, each state a CASE on
-- the bar index (seed sums, then the steady formula); steady: bars 50 on, where
-- every recursion has its steady form, so no CASE is evaluated per bar.
-- Inner selects compute the states that need only the previous bar; outer ones
-- those that also need this bar's MACD line or slow %K.
{%- set states = [
    'sma_10_total', 'sma_20_total', 'sma_50_total', 'ema_10', 'ema_20', 'ema_50',
    'macd_fast', 'macd_slow', 'macd_signal', 'avg_gain', 'avg_loss', 'atr_14',
    'stoch_k_total', 'slow_k', 'slow_k_1', 'slow_k_2', 'stoch_d_total'] %}

warmup (step_id, bar_index, {{ states | join(', ') }}) as (
    select step_id - 1, -1::bigint{% for _ in states %}, 0.0::double{% endfor %}
    from steps
    where bar_index = 0

    union all

    select
        step_id, bar_index, sma_10_total, sma_20_total, sma_50_total, ema_10, ema_20, ema_50, macd_fast, macd_slow,
        {{ features_ema_step('prev_macd_signal', '(macd_fast - macd_slow)', 'bar_index', 9, first_bar=25) }},
        avg_gain, avg_loss, atr_14,
        stoch_k_total, slow_k, prev_slow_k, prev_slow_k_1,
        {{ features_running_total_step('prev_stoch_d_total', 'slow_k', 'prev_slow_k_2', 'bar_index', 3, first_bar=15) }}
    from (
        select
            s.step_id,
            s.bar_index,
            -- SMA: TA-Lib's running window total (divided by the period in `features`).
            {% for n in [10, 20, 50] -%}
            {{ features_running_total_step('t.sma_' ~ n ~ '_total', 's.close', 's.close_lag' ~ n, 's.bar_index', n) }} as sma_{{ n }}_total,
            {% endfor -%}
            {{ features_ema_step('t.ema_10', 's.close', 's.bar_index', 10) }} as ema_10,
            {{ features_ema_step('t.ema_20', 's.close', 's.bar_index', 20) }} as ema_20,
            {{ features_ema_step('t.ema_50', 's.close', 's.bar_index', 50) }} as ema_50,
            -- MACD seeds both EMAs with means whose windows end on bar 25:
            -- the slow one over bars 0-25, the fast one over bars 14-25.
            {{ features_ema_step('t.macd_fast', 's.close', 's.bar_index', 12, first_bar=14) }} as macd_fast,
            {{ features_ema_step('t.macd_slow', 's.close', 's.bar_index', 26) }} as macd_slow,
            t.macd_signal as prev_macd_signal,
            {{ features_wilder_rsi_step('t.avg_gain', 's.gain', 's.bar_index', 14) }} as avg_gain,
            {{ features_wilder_rsi_step('t.avg_loss', 's.loss', 's.bar_index', 14) }} as avg_loss,
            {{ features_wilder_atr_step('t.atr_14', 's.true_range', 's.bar_index', 14) }} as atr_14,
            -- STOCH: slow %K = running 3-bar total of raw %K (from bar 13) / 3;
            -- slow %D = the same over slow %K (from bar 15).
            {{ features_running_total_step('t.stoch_k_total', 's.fast_k', 's.fast_k_lag3', 's.bar_index', 3, first_bar=13) }}
                as stoch_k_total,
            case
                when s.bar_index >= 15 then
                    ({{ features_running_total_step('t.stoch_k_total', 's.fast_k', 's.fast_k_lag3', 's.bar_index', 3, first_bar=13) }}) / 3
                else 0.0
            end as slow_k,
            t.slow_k as prev_slow_k,
            t.slow_k_1 as prev_slow_k_1,
            t.slow_k_2 as prev_slow_k_2,
            t.stoch_d_total as prev_stoch_d_total
        from warmup as t
        join steps as s on s.step_id = t.step_id + 1
        where s.bar_index < 50
    )
),

steady (step_id, bar_index, {{ states | join(', ') }}) as (
    select step_id, bar_index, {{ states | join(', ') }}
    from warmup
    where bar_index = 49

    union all

    select
        step_id, bar_index, sma_10_total, sma_20_total, sma_50_total, ema_10, ema_20, ema_50, macd_fast, macd_slow,
        {{ features_ema_next('prev_macd_signal', '(macd_fast - macd_slow)', 9) }},
        avg_gain, avg_loss, atr_14,
        stoch_k_total, stoch_k_total / 3, prev_slow_k, prev_slow_k_1,
        {{ features_running_total_next('prev_stoch_d_total', 'stoch_k_total / 3', 'prev_slow_k_2') }}
    from (
        select
            s.step_id,
            s.bar_index,
            {% for n in [10, 20, 50] -%}
            {{ features_running_total_next('t.sma_' ~ n ~ '_total', 's.close', 's.close_lag' ~ n) }} as sma_{{ n }}_total,
            {% endfor -%}
            {{ features_ema_next('t.ema_10', 's.close', 10) }} as ema_10,
            {{ features_ema_next('t.ema_20', 's.close', 20) }} as ema_20,
            {{ features_ema_next('t.ema_50', 's.close', 50) }} as ema_50,
            {{ features_ema_next('t.macd_fast', 's.close', 12) }} as macd_fast,
            {{ features_ema_next('t.macd_slow', 's.close', 26) }} as macd_slow,
            t.macd_signal as prev_macd_signal,
            {{ features_wilder_rsi_next('t.avg_gain', 's.gain', 14) }} as avg_gain,
            {{ features_wilder_rsi_next('t.avg_loss', 's.loss', 14) }} as avg_loss,
            {{ features_wilder_atr_next('t.atr_14', 's.true_range', 14) }} as atr_14,
            {{ features_running_total_next('t.stoch_k_total', 's.fast_k', 's.fast_k_lag3') }} as stoch_k_total,
            t.slow_k as prev_slow_k,
            t.slow_k_1 as prev_slow_k_1,
            t.slow_k_2 as prev_slow_k_2,
            t.stoch_d_total as prev_stoch_d_total
        from steady as t
        join steps as s on s.step_id = t.step_id + 1
    )
),

ta as (
    select * from warmup where bar_index >= 0
    union all
    select * from steady where bar_index >= 50
),

features as (
    select
        r.exchange, r.symbol, r.timeframe, r.ts, r.trade_date, r.bar_index,
        r.open, r.high, r.low, r.close, r.volume,
        case when r.bar_index >= 1 then r.ret_simple end as ret_simple,
        case when r.bar_index >= 1 then r.ret_log end as ret_log,
        case when r.bar_index >= 9 then t.sma_10_total / 10 end as sma_10,
        case when r.bar_index >= 19 then t.sma_20_total / 20 end as sma_20,
        case when r.bar_index >= 49 then t.sma_50_total / 50 end as sma_50,
        case when r.bar_index >= 9 then t.ema_10 end as ema_10,
        case when r.bar_index >= 19 then t.ema_20 end as ema_20,
        case when r.bar_index >= 49 then t.ema_50 end as ema_50,
        case
            when r.bar_index >= 14 then
                case when t.avg_loss + t.avg_gain > 0 then t.avg_gain / (t.avg_loss + t.avg_gain) * 100 else 0.0 end
        end as rsi_14,
        case when r.bar_index >= 33 then t.macd_fast - t.macd_slow end as macd,
        case when r.bar_index >= 33 then t.macd_signal end as macd_signal,
        case when r.bar_index >= 33 then (t.macd_fast - t.macd_slow) - t.macd_signal end as macd_hist,
        case when r.bar_index >= 19 then t.sma_20_total / 20 + 2 * r.close_std_20 end as bb_upper,
        case when r.bar_index >= 19 then t.sma_20_total / 20 end as bb_middle,
        case when r.bar_index >= 19 then t.sma_20_total / 20 - 2 * r.close_std_20 end as bb_lower,
        case when r.bar_index >= 14 then t.atr_14 end as atr_14,
        case when r.bar_index >= 17 then t.slow_k end as stoch_k,
        case when r.bar_index >= 17 then t.stoch_d_total / 3 end as stoch_d,
        case when r.bar_index >= 20 then r.ret_log_std_20 * sqrt({{ periods_per_year('r.timeframe') }}) end as rv_20,
        case when r.bar_index >= 60 then r.ret_log_std_60 * sqrt({{ periods_per_year('r.timeframe') }}) end as rv_60,
        case
            when r.bar_index >= 19 and r.volume_std_20 > 0 then (r.volume - r.volume_mean_20) / r.volume_std_20
        end as volume_z_20,
        abs(r.close - r.open) as body,
        r.high - greatest(r.open, r.close) as upper_wick,
        least(r.open, r.close) - r.low as lower_wick
    from returns_rolling as r
    join ta as t on t.step_id = r.series_id * 4294967296 + r.bar_index
),

regimes as (
    select
        *,
        case when bb_upper > bb_lower then (close - bb_lower) / (bb_upper - bb_lower) end as bb_pct_b,
        case when bar_index >= 50 then sma_50 - lag(sma_50) over w end as sma_50_slope,
        -- Where rv_20 sits among its last 500 values (itself included): 0 = lowest, 1 = highest.
        case
            when bar_index >= 519 then percent_rank(order by rv_20) over (w rows between 499 preceding and current row)
        end as rv_20_pctile_500
    from features
    window w as (partition by exchange, symbol, timeframe order by ts)
)

select
    exchange, symbol, timeframe, ts, trade_date, bar_index,
    open, high, low, close, volume,
    ret_simple, ret_log,
    sma_10, sma_20, sma_50, ema_10, ema_20, ema_50,
    rsi_14, macd, macd_signal, macd_hist,
    bb_upper, bb_middle, bb_lower, bb_pct_b,
    atr_14, stoch_k, stoch_d,
    rv_20, rv_60, volume_z_20,
    body, upper_wick, lower_wick,
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
    end as trend_regime
from regimes
