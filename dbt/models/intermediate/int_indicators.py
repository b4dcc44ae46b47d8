"""Numeric features of every bar (TA-Lib's indicators, rolling statistics) from Numba kernels.

A dbt Python model because the recursions (EMA, Wilder) and the rolling windows
run as compiled loops over each series' arrays: one pass, no recursive CTE, no
list round trip through a UDF. The code lives in include/features/ (profiles.yml
puts the repository on the module path); this file only wires it in.
Incremental: each run appends the bars after a series' last stored bar, continuing
the recursions from the state stored with that bar (see _intermediate.yml).
"""


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key=["exchange", "symbol", "timeframe", "ts"],
        on_schema_change="ignore",  # dbt's own default, kept over the project's append_new_columns
    )
    from include.features.series_features import build_indicators

    candles = dbt.ref("stg_candles")
    candles.create_view("peak_stg_candles", replace=True)
    stored = repr(dbt.this) if dbt.is_incremental else None
    return build_indicators(session, "peak_stg_candles", stored)
