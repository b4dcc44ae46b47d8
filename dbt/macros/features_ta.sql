{#-
  Building blocks of fct_features' recursive CTEs: TA-Lib 0.8's recursions,
  operation for operation (sums accumulate from 0.0 in bar order, then divide;
  the same multiplications and additions in the same order), so the results
  equal TA-Lib's bit for bit, except that TA-Lib computes its EMA, MACD and ATR
  steps with C99 fma(), which DuckDB lacks (a multiply and an add here): on the
  real candles the EMAs and the MACD line still agree to the bit, the MACD signal
  and ATR differ in the last bits on some bars.

  Each recursion has a warm-up phase (seed sums, at most the first 50 bars) and a
  steady phase. `*_next` renders the steady step; `*_step` renders the whole
  thing as a CASE on the bar's index within its series, for the warm-up bars,
  and reuses `*_next` so both phases share one formula.
-#}

{#- EMA: prev + k * (value - prev), written as TA-Lib does: (value - prev) * k + prev, k = 2/(period+1). -#}
{% macro features_ema_next(prev, value, period) -%}
    ({{ value }} - {{ prev }}) * (2.0::double / {{ period + 1 }}) + {{ prev }}
{%- endmacro %}

{#-
  EMA (TA-Lib default compatibility) fed from bar `first_bar` on: the first
  `period` inputs are summed, their mean (at bar first_bar + period - 1) is the
  seed, then features_ema_next. The state before first_bar is 0.
-#}
{% macro features_ema_step(prev, value, bar, period, first_bar=0) -%}
    case
        when {{ bar }} < {{ first_bar }} then 0.0::double
        when {{ bar }} < {{ first_bar + period - 1 }} then {{ prev }} + {{ value }}
        when {{ bar }} = {{ first_bar + period - 1 }} then ({{ prev }} + {{ value }}) / {{ period }}
        else {{ features_ema_next(prev, value, period) }}
    end
{%- endmacro %}

{#-
  TA-Lib's SMA keeps a running window total: after each bar it subtracts the
  input leaving the window, then adds the next one. `value_lag` is the input
  `period` bars back; divide the total by the period for the average.
-#}
{% macro features_running_total_next(prev, value, value_lag) -%}
    ({{ prev }} - {{ value_lag }}) + {{ value }}
{%- endmacro %}

{% macro features_running_total_step(prev, value, value_lag, bar, period, first_bar=0) -%}
    case
        when {{ bar }} < {{ first_bar }} then 0.0::double
        when {{ bar }} < {{ first_bar + period }} then {{ prev }} + {{ value }}
        else {{ features_running_total_next(prev, value, value_lag) }}
    end
{%- endmacro %}

{#-
  Wilder's RSI averages as TA-Lib 0.8 computes them, with `move` the bar's
  up-move (gain) or down-move (loss), both >= 0: the first `period` moves are
  summed and multiplied by 1/period, then (avg * (period - 1) + move) * (1/period).
-#}
{% macro features_wilder_rsi_next(prev, move, period) -%}
    ({{ prev }} * {{ period - 1 }}.0::double + {{ move }}) * (1.0::double / {{ period }})
{%- endmacro %}

{% macro features_wilder_rsi_step(prev, move, bar, period) -%}
    case
        when {{ bar }} = 0 then 0.0::double
        when {{ bar }} < {{ period }} then {{ prev }} + {{ move }}
        when {{ bar }} = {{ period }} then ({{ prev }} + {{ move }}) * (1.0::double / {{ period }})
        else {{ features_wilder_rsi_next(prev, move, period) }}
    end
{%- endmacro %}

{#-
  Wilder's ATR as TA-Lib 0.8 computes it: the mean true range of bars 1..period
  (summed, then divided), then atr * k1 + tr * (1 - k1) with k1 = (period-1)/period.
  TA-Lib evaluates that last step with a fused multiply-add (C99 fma); DuckDB has
  none, so it is a multiply and an add here: the result differs from TA-Lib's
  in the last bits on about 70% of bars (relative 1e-15 at most on the real candles).
-#}
{% macro features_wilder_atr_next(prev, true_range, period) -%}
    {{ prev }} * ({{ period - 1 }}.0::double / {{ period }}) + {{ true_range }} * (1.0::double - {{ period - 1 }}.0::double / {{ period }})
{%- endmacro %}

{% macro features_wilder_atr_step(prev, true_range, bar, period) -%}
    case
        when {{ bar }} = 0 then 0.0::double
        when {{ bar }} < {{ period }} then {{ prev }} + {{ true_range }}
        when {{ bar }} = {{ period }} then ({{ prev }} + {{ true_range }}) / {{ period }}
        else {{ features_wilder_atr_next(prev, true_range, period) }}
    end
{%- endmacro %}
