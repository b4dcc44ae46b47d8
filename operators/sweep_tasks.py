"""Airflow tasks of nightly_sweep: plan -> run_chunk (mapped) -> publish.

Chunks are re-planned from the spec in each task (plans are deterministic), so
XCom carries only sweep names and chunk numbers. Chunk tasks read the Parquet
export of fct_features; only `publish` opens the DuckDB file, in the duckdb pool.
"""
from __future__ import annotations

import logging

from airflow.sdk import get_current_context, task

from include.config.loader import data_dir, load_config, sweep_specs
from include.paths import run_key
from operators.common import bad_input_fails_fast
from operators.warehouse_tasks import DUCKDB_POOL

log = logging.getLogger(__name__)
# What the reports read; sweep_trials keeps every night's trials and has no Parquet reader, so it stays in DuckDB.
EXPORTED_SWEEP_TABLES = ("fct_sweep_best",)


def _selected(params: dict) -> dict:
    """The sweeps the run asked for (the form's list; all configured ones by default)."""
    specs = sweep_specs(load_config())
    names = params.get("sweeps") or list(specs)
    unknown = [n for n in names if n not in specs]
    if unknown:
        from include.errors import ConfigError

        raise ConfigError(f"sweeps {unknown} are not in the config; valid: {', '.join(specs)}")
    return {name: specs[name] for name in names}


@task
def plan_sweeps() -> list[dict]:
    """Check each sweep (data present, strategy free of lookahead) and list its chunks."""
    from include.sweeps.inputs import load_frames
    from include.sweeps.plan import plan_chunks
    from include.sweeps.run import check_strategy

    data = data_dir(load_config())
    chunks = []
    with bad_input_fails_fast():
        for name, spec in _selected(get_current_context()["params"]).items():
            check_strategy(spec, load_frames(spec, data))
            planned = plan_chunks(spec, len(spec.universe))
            chunks += [{"sweep": name, "index": c.index, "label": f"{name}: {c.label}"} for c in planned]
            log.info("%s: %s over %d series, %d chunks, %d backtests", name, spec.method, len(spec.universe),
                     len(planned), sum(c.backtests for c in planned))
    return chunks


@task(map_index_template="{{ chunk_label }}")
def run_sweep_chunk(chunk: dict) -> str:
    """Run one chunk (skipped when its result file exists: a retry or re-run resumes)."""
    from include.sweeps.inputs import load_frames, sweep_dir
    from include.sweeps.plan import plan_chunks
    from include.sweeps.run import run_chunk

    context = get_current_context()
    context["chunk_label"] = chunk["label"]
    data = data_dir(load_config())
    with bad_input_fails_fast():
        spec = sweep_specs(load_config())[chunk["sweep"]]
        planned = plan_chunks(spec, len(spec.universe))[chunk["index"]]
        path = run_chunk(spec, planned, load_frames(spec, data), sweep_dir(data, spec, run_key(context["run_id"])))
    return str(path)


@task(pool=DUCKDB_POOL)
def publish_sweeps(chunk_files: list[str]) -> dict:
    """Load every selected sweep's results into the warehouse and render its heatmaps."""
    from include.sweeps.inputs import sweep_dir
    from include.sweeps.publish import load_into_warehouse
    from include.sweeps.heatmaps import render_heatmaps
    from include.sweeps.results import collect
    from include.warehouse.exports import export_marts

    context = get_current_context()
    data, run = data_dir(load_config()), run_key(context["run_id"])
    summary = {}
    with bad_input_fails_fast():
        for name, spec in _selected(context["params"]).items():
            out = sweep_dir(data, spec, run)
            counts = load_into_warehouse(spec, out, data, run)
            images = render_heatmaps(spec, collect(out, spec), out / "heatmaps")
            log.info("%s: loaded %s; %d heatmaps in %s", name, counts, len(images), out / "heatmaps")
            summary[name] = {"tables": counts, "heatmaps": [str(p) for p in images]}
    exported = export_marts(data, EXPORTED_SWEEP_TABLES)  # the reports read it, never the DuckDB file
    log.info("%d chunk files in this run; exported %s", len(chunk_files), ", ".join(exported))
    return summary
