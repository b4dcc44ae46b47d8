"""The warehouse build SIGKILLed in the middle of incremental models: the next build equals a clean one.

tests/faults/warehouse_kill.py has the scenario. Kept lean for make test: the selection leaves out
the Python indicator model (a minute of Numba compiling per fresh dbt process), the history and the
clean build run `dbt run` (the same tables, no tests), and the build is killed twice in a row,
once in each of two incremental models, before the third attempt completes. Every build runs in
one data directory, as warehouse_build's do: the clean build's, then the staged state put back for
the killed ones, so dbt parses the project once and reuses that parse (partial parsing) after.
`make soak` kills the full build (benchmarks/soak_ingest.py).
"""
from __future__ import annotations

from include.warehouse.dbt_runner import run_dbt
from tests.faults.warehouse_kill import LEAN_BUILD, copy_of, differences, kill_build, prepare, tables

LEAN_RUN = ["run", *LEAN_BUILD[1:]]


def test_a_build_killed_twice_mid_incremental_models_then_rerun_equals_a_clean_build(tmp_path):
    data = prepare(tmp_path, LEAN_RUN)
    staged = copy_of(data, tmp_path / "staged")
    before = {name: len(frame) for name, frame in tables(data).items()}
    run_dbt(LEAN_RUN, data)
    want = tables(data)
    # the newly landed days reach every incremental model: the kills interrupt real work
    for model in ("stg_candles", "int_candles_resampled", "int_consolidated_price", "fct_risk_metrics_rolling",
                  "fct_portfolio_risk_rolling"):
        assert len(want[model]) > before[model] > 0, model

    copy_of(staged, data)  # the staged state again, raw files with their times: the killed builds start from it
    first = kill_build(data, LEAN_BUILD, model="int_candles_resampled", delay_s=0.2)
    second = kill_build(data, LEAN_BUILD, model="fct_risk_metrics_rolling", delay_s=0.1)
    assert first.killed and "int_candles_resampled" in first.started, first
    assert second.killed and "fct_risk_metrics_rolling" in second.started, second
    run_dbt(LEAN_BUILD, data)  # the retried task: completes

    assert differences(want, tables(data)) == []
