"""Airflow tasks of nightly_sweep: plan -> run_sweep_chunk (mapped) -> publish.

Each task is a few lines around a function of `include.sweeps.pipeline`, imported
inside the task: that package loads the backtester (Numba) and Optuna, which DAG
parsing must not. XCom carries only sweep names and chunk numbers. Chunk tasks read
the Parquet export of fct_features; only `publish_sweeps` opens the DuckDB file, in
the duckdb pool.
"""
from __future__ import annotations

import logging

from airflow.sdk import get_current_context, task

from include.checked_config import load_checked_config
from operators.common import bad_input_fails_fast
from operators.warehouse_tasks import DUCKDB_POOL

log = logging.getLogger(__name__)


@task
def plan_sweeps() -> list[dict]:
    """Check each sweep the form selected (data present, strategy free of lookahead) and list its chunks."""
    from include.sweeps.pipeline import plan_sweeps as plan

    with bad_input_fails_fast():
        return plan(load_checked_config(strategies=True), get_current_context()["params"].get("sweeps"))


@task(map_index_template="{{ chunk_label }}")
def run_sweep_chunk(chunk: dict) -> str:
    """Run one chunk (skipped when its result file exists: a retry or re-run resumes)."""
    from include.sweeps.pipeline import run_sweep_chunk as run

    context = get_current_context()
    context["chunk_label"] = chunk["label"]
    with bad_input_fails_fast():
        return str(run(load_checked_config(), chunk, context["run_id"]))


@task(pool=DUCKDB_POOL)
def publish_sweeps(chunk_files: list[str]) -> dict:
    """Load every selected sweep's results into the warehouse, render its heatmaps, export fct_sweep_best."""
    from include.sweeps.pipeline import publish_sweeps as publish

    context = get_current_context()
    log.info("%d chunk files in this run", len(chunk_files))
    with bad_input_fails_fast():
        return publish(load_checked_config(), context["params"].get("sweeps"), context["run_id"])
