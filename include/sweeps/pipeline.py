"""The nightly sweep as plain functions: select, plan (with the lookahead check), run a chunk, publish.

Airflow tasks (operators/sweep_tasks.py) call these one to one. Chunks are re-planned
from the spec in every step (plans are deterministic), so what passes between steps
is a sweep name and a chunk number. Every step resolves windows declared relative to the run
(`start: 365d`, end omitted) at `reference`, the DAG run's data interval end that the operator
passes in: the same run re-planned, retried or cleared resolves the same windows. Chunk
runs read the Parquet export of fct_features; only `publish_sweeps` opens the DuckDB
file. The backtester (Numba), Optuna, matplotlib and DuckDB are imported inside the
functions that use them.
"""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from include.config.loader import data_dir
from include.sweeps.checks import sweep_specs
from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.paths import DataPaths, run_key
from include.sweeps.inputs import load_frames, sweep_dir
from include.sweeps.plan import plan_chunks
from include.sweeps.spec import SweepSpec

log = logging.getLogger(__name__)


def select_sweeps(specs: dict[str, SweepSpec], requested: list[str] | None) -> dict[str, SweepSpec]:
    """The sweeps a run asked for, in its order (all of `specs` when it names none)."""
    names = requested or list(specs)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise ConfigError(f"sweeps {unknown} are not in the config; valid: {', '.join(specs)}")
    return {name: specs[name] for name in names}


def plan_sweeps(config: PeakTradeConfig, requested: list[str] | None, reference: datetime) -> list[dict]:
    """Check each selected sweep (its bars exported, its strategy free of lookahead) and list its chunks.

    One dict per chunk: {"sweep", "index", "label"}, small enough for XCom.
    """
    from include.sweeps.run import check_strategy

    data = data_dir(config)
    chunks, checked = [], set()
    for name, spec in select_sweeps(sweep_specs(config, reference=reference), requested).items():
        frames = load_frames(spec, data)  # also checks the bars are exported
        if spec.strategy not in checked:  # peeking is a property of the code: once per strategy
            check_strategy(spec, frames)
            checked.add(spec.strategy)
        planned = plan_chunks(spec, len(spec.universe))
        chunks += [{"sweep": name, "index": c.index, "label": f"{name}: {c.label}"} for c in planned]
        log.info("%s: %s over %d series, %d chunks, %d backtests", name, spec.method, len(spec.universe),
                 len(planned), sum(c.backtests for c in planned))
    return chunks


def run_sweep_chunk(config: PeakTradeConfig, chunk: dict, run_id: str, reference: datetime) -> Path:
    """Run one planned chunk into the run's folder; a chunk whose file exists is not run again (resume)."""
    from include.sweeps.run import run_chunk

    data = data_dir(config)
    spec = sweep_specs(config, reference=reference)[chunk["sweep"]]
    planned = plan_chunks(spec, len(spec.universe))[chunk["index"]]
    return run_chunk(spec, planned, load_frames(spec, data), sweep_dir(data, spec, run_key(run_id)))


def publish_sweeps(config: PeakTradeConfig, requested: list[str] | None, run_id: str,
                   reference: datetime) -> dict:
    """Load each selected sweep's results of the run into the warehouse, render its heatmaps, then
    export the sweep tables the reports read. Returns {sweep: {"tables": row counts, "heatmaps": [paths]}}."""
    from include.sweeps.heatmaps import render_heatmaps
    from include.sweeps.publish import load_into_warehouse
    from include.sweeps.results import collect
    from include.sweeps.strategy_returns import export_strategy_returns
    from include.warehouse.exports import EXPORTED_SWEEP_TABLES, export_marts

    data, run = data_dir(config), run_key(run_id)
    summary = {}
    for name, spec in select_sweeps(sweep_specs(config, reference=reference), requested).items():
        out = sweep_dir(data, spec, run)
        # the best run's daily returns, for fct_strategy_risk_metrics (read by the dbt build below)
        export_strategy_returns(spec, load_frames(spec, data), collect(out, spec), out, run)
        counts = load_into_warehouse(spec, out, data, run, config.research)
        heatmaps = DataPaths(data).sweep_heatmaps(spec.name, run)
        images = render_heatmaps(spec, collect(out, spec), heatmaps)
        log.info("%s: loaded %s; %d heatmaps in %s", name, counts, len(images), heatmaps)
        summary[name] = {"tables": counts, "heatmaps": [str(p) for p in images]}
    exported = export_marts(data, EXPORTED_SWEEP_TABLES)  # the reports read it, never the DuckDB file
    log.info("exported %s", ", ".join(exported))
    return summary
