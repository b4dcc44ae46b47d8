"""The last step of a sweep: its results into the warehouse, modelled by dbt.

A run's chunk files already sit where dbt reads them (data/sweeps/<sweep>/<run>/, the
source `sweeps.chunk_results`). Publishing writes the run's manifest beside them
(published.json: what dbt cannot know from the files, i.e. the spec's head, goals and
universe, and the time of publication) and builds the sweep models (tag:sweeps):

- fct_sweep_trials: every trial (grid / random / tpe / nsga2) with its mean metrics,
  `per_series` JSON, its `objective_rank` (1 = best by the first goal, NULL last) and,
  for nsga2, `pareto` (on the Pareto front of `objectives`; NULL for other methods).
- fct_sweep_best: per series of the universe, the trial best on that series alone by the
  first goal (NULL never wins; a series where every trial is NULL has no row), with that
  series' own metrics.
- fct_sweep_walk_forward: the fold rows of a walk_forward sweep. Its chunk files keep no
  inner trials, so it adds nothing to the other two marts.

Before the manifest, publishing computes the overfitting odds of each series' best (odds.py:
deflated Sharpe ratio, PBO for grid / random, verdict by the config's `research` thresholds)
into overfitting.json beside it; fct_sweep_best joins them to its rows.

The models are incremental by run: re-publishing a run (a new loaded_at) replaces its rows,
every other run's rows stay. The publish task runs in the one-slot duckdb pool, so dbt alone
holds the DuckDB file. A dbt failure raises WarehouseError; the marts keep their previous
rows, and the next build of the sweep models loads the run.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from include.atomic import write_text_atomic
from include.config.schema import Research
from include.paths import DataPaths
from include.sweeps.errors import SweepError
from include.sweeps.evaluate import series_label
from include.sweeps.plan import study_name
from include.sweeps.spec import SweepSpec
from include.warehouse.connection import open_warehouse
from include.warehouse.dbt_runner import run_dbt, warehouse_file

logger = logging.getLogger("include.sweeps")

MANIFEST = "published.json"  # dbt/macros/sweeps.sql sweep_manifests_glob reads this name
SWEEP_MODELS = "tag:sweeps"
MARTS = ("fct_sweep_trials", "fct_sweep_best", "fct_sweep_walk_forward")


def load_into_warehouse(spec: SweepSpec, out_dir: str | Path, data_dir: str | Path, run_id: str,
                        research: Research | None = None) -> dict[str, int]:
    """Publish this run of `spec` (its chunk files in out_dir) and build the sweep marts; this run's rows per mart.
    research: the luck thresholds of the overfitting odds (default: the config's defaults)."""
    from include.sweeps.odds import write_odds

    out = Path(out_dir).resolve()
    sweeps = DataPaths(Path(data_dir)).sweeps.resolve()
    if out.parent != sweeps / spec.name:
        raise SweepError(f"sweep {spec.name!r}: its results are in {out}, but the warehouse reads a run's chunk "
                         f"files from {sweeps / spec.name}/<run>/; run the chunks with that out_dir")
    if not any(out.glob(f"{study_name(spec)}-*.parquet")):  # the files dbt reads (as results.collect)
        raise SweepError(f"sweep {spec.name!r}: no result files for this spec in {out}; did its chunks run?")
    write_odds(spec, out, research or Research())  # before the manifest: a published run has its odds
    write_text_atomic(json.dumps(manifest(spec, run_id), indent=1), out / MANIFEST)  # dbt never reads half a manifest
    run_dbt(["build", "--select", SWEEP_MODELS], Path(data_dir), check_candles=False)
    counts = rows_of_run(Path(data_dir), spec.name, run_id)
    logger.info("sweep %s run %s: built %s in %s", spec.name, run_id, counts, warehouse_file(data_dir))
    return counts


def manifest(spec: SweepSpec, run_id: str) -> dict:
    """What dbt reads beside the chunk files (the source sweeps.published_runs)."""
    return {
        "sweep": spec.name, "run_id": run_id, "spec_digest": spec.digest(), "strategy": spec.strategy,
        "method": spec.method, "timeframe": spec.timeframe, "chunk_prefix": f"{study_name(spec)}-",
        "goals": [{"metric": goal.metric, "direction": goal.direction} for goal in spec.goals()],
        "universe": [{"label": series_label(ref.exchange, ref.symbol), "exchange": ref.exchange, "symbol": ref.symbol}
                     for ref in spec.universe],
        "loaded_at": pd.Timestamp.now(tz="UTC").isoformat(),
    }


def rows_of_run(data_dir: Path, sweep: str, run_id: str) -> dict[str, int]:
    with open_warehouse(warehouse_file(data_dir), read_only=True) as con:
        return {mart: con.execute(f"select count(*) from {mart} where sweep = ? and run_id = ?",
                                  [sweep, run_id]).fetchone()[0] for mart in MARTS}
