"""Airflow tasks of nightly_sweep: plan -> run_sweep_chunk (mapped) -> publish.

Each task is a few lines around a function of `include.sweeps.pipeline`, imported
inside the task: that package loads the backtester (Numba) and Optuna, which DAG
parsing must not. XCom carries only sweep names and chunk numbers. Chunk tasks read
the Parquet export of fct_features; only `publish_sweeps` opens the DuckDB file, in
the duckdb pool. Each task passes the run's reference time (its data interval end, else the
time the run was due) so windows relative to the run resolve the same in every task and re-run.
"""
from __future__ import annotations

import logging
from datetime import datetime

from airflow.sdk import get_current_context, task

from include.checked_config import load_checked_config
from operators.common import bad_input_fails_fast
from operators.warehouse_tasks import DUCKDB_POOL

log = logging.getLogger(__name__)


def reference_time(context) -> datetime:
    """The run's data interval end; a run without a logical date (triggered with none) has run_after."""
    return context.get("data_interval_end") or context["dag_run"].run_after


@task
def plan_sweeps() -> list[dict]:
    """Check each sweep the form selected (data present, strategy free of lookahead) and list its chunks."""
    from include.sweeps.pipeline import plan_sweeps as plan

    context = get_current_context()
    with bad_input_fails_fast():
        return plan(load_checked_config(strategies=True), context["params"].get("sweeps"), reference_time(context))


@task(map_index_template="{{ chunk_label }}")
def run_sweep_chunk(chunk: dict) -> str:
    """Run one chunk (skipped when its result file exists: a retry or re-run resumes)."""
    from include.sweeps.pipeline import run_sweep_chunk as run

    context = get_current_context()
    context["chunk_label"] = chunk["label"]
    with bad_input_fails_fast():
        return str(run(load_checked_config(), chunk, context["run_id"], reference_time(context)))


@task(pool=DUCKDB_POOL)
def publish_sweeps(chunk_files: list[str]) -> dict:
    """Load every selected sweep's results into the warehouse, render its heatmaps, export fct_sweep_best."""
    from include.sweeps.pipeline import publish_sweeps as publish

    context = get_current_context()
    log.info("%d chunk files in this run", len(chunk_files))
    with bad_input_fails_fast():
        return publish(load_checked_config(), context["params"].get("sweeps"), context["run_id"],
                       reference_time(context))
