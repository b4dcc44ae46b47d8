"""The last step of a sweep: its results into the warehouse (sweep_trials, sweep_best, sweep_walk_forward).

The publish task runs in a one-slot pool, so it alone holds the DuckDB file.
Loads are idempotent: one transaction deletes this sweep's rows for this run_id from
all three tables and inserts the new ones, so a re-run replaces and a failure rolls
back to the previous contents. The schema is fixed whatever the strategy: params
are JSON, metrics are columns (a metric added to METRICS later is added to an
existing table as a column).

- sweep_trials: every trial (grid / random / tpe / nsga2) with its mean metrics,
  `per_series` JSON, its `objective_rank` (1 = best by the first goal, NaN last) and,
  for nsga2, `pareto` (on the Pareto front of `objectives`; NULL for other methods).
- sweep_best: per series of the universe, the trial best on that series alone by the
  first goal (NaN never wins; a series where every trial is NaN has no row), with that
  series' own metrics.
- sweep_walk_forward: the fold rows of a walk_forward sweep. Its chunk files keep no
  inner trials, so it adds nothing to the other two tables.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pandas as pd

from include.sweeps.errors import SweepError
from include.sweeps.evaluate import series_label
from include.sweeps.results import collect, pareto_front
from include.sweeps.spec import METRICS, SweepSpec
from include.warehouse.dbt_runner import warehouse_file

logger = logging.getLogger("include.sweeps")

HEAD = {"sweep": "varchar", "spec_digest": "varchar", "strategy": "varchar", "method": "varchar",
        "timeframe": "varchar", "run_id": "varchar", "loaded_at": "timestamptz"}
METRIC_TYPES = {m: "double" for m in METRICS} | {"n_trades": "bigint"}
WINDOWS = ("in_sample_start", "in_sample_end", "out_of_sample_start", "out_of_sample_end")
TABLES = {
    "sweep_trials": HEAD | {"chunk_id": "varchar", "trial": "bigint", "params": "json", "objective": "varchar",
                            "objective_rank": "bigint", "pareto": "boolean"} | METRIC_TYPES | {"per_series": "json"},
    "sweep_best": HEAD | {"exchange": "varchar", "symbol": "varchar", "objective": "varchar", "direction": "varchar",
                          "chunk_id": "varchar", "trial": "bigint", "params": "json"} | METRIC_TYPES,
    "sweep_walk_forward": HEAD | {"fold": "bigint"} | {w: "timestamptz" for w in WINDOWS}
    | {"trial": "bigint", "inner_trials": "bigint", "params": "json"}
    | {f"is_{m}": t for m, t in METRIC_TYPES.items()} | {f"oos_{m}": t for m, t in METRIC_TYPES.items()}
    | {f"degradation_{m}": "double" for m in METRICS} | {f"degradation_ratio_{m}": "double" for m in METRICS},
}


def load_into_warehouse(spec: SweepSpec, out_dir: str | Path, data_dir: str | Path, run_id: str) -> dict[str, int]:
    """Replace this sweep's rows for run_id in the three tables; the rows inserted per table."""
    results = collect(out_dir, spec)
    if results.empty:
        raise SweepError(f"sweep {spec.name!r}: no result files for this spec in {out_dir}; did its chunks run?")
    frames = sweep_tables(spec, results, run_id)
    path = warehouse_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        replace_rows(con, spec.name, run_id, frames)
    counts = {table: len(frame) for table, frame in frames.items()}
    logger.info("sweep %s run %s: loaded %s into %s", spec.name, run_id, counts, path)
    return counts


def sweep_tables(spec: SweepSpec, results: pd.DataFrame, run_id: str) -> dict[str, pd.DataFrame]:
    """The rows of each table, with exactly its columns (absent ones NULL)."""
    if spec.method == "walk_forward":
        rows = {"sweep_trials": pd.DataFrame(), "sweep_best": pd.DataFrame(), "sweep_walk_forward": results}
    else:
        rows = {"sweep_trials": trial_rows(spec, results), "sweep_best": best_rows(spec, results),
                "sweep_walk_forward": pd.DataFrame()}
    head = {"sweep": spec.name, "spec_digest": spec.digest(), "strategy": spec.strategy, "method": spec.method,
            "timeframe": spec.timeframe, "run_id": run_id, "loaded_at": pd.Timestamp.now(tz="UTC")}
    return {table: frame.assign(**head).reindex(columns=list(TABLES[table])) if len(frame) else frame
            for table, frame in rows.items()}


def trial_rows(spec: SweepSpec, results: pd.DataFrame) -> pd.DataFrame:
    goal = spec.goals()[0]
    out = results.copy()
    out["objective"] = goal.metric
    out["objective_rank"] = out[goal.metric].rank(method="first", ascending=goal.direction == "minimize",
                                                  na_option="bottom").astype("int64")
    if spec.method == "nsga2":
        front = pareto_front(results, spec.objectives)
        keys = set(zip(front["chunk_id"], front["trial"]))
        out["pareto"] = [key in keys for key in zip(out["chunk_id"], out["trial"])]
    return out


def best_rows(spec: SweepSpec, results: pd.DataFrame) -> pd.DataFrame:
    """Per series, the first trial best on that series alone by the first goal (NaN never wins)."""
    if "per_series" not in results:
        logger.warning("sweep %s: result files carry no per_series metrics; sweep_best stays empty", spec.name)
        return pd.DataFrame()
    goal = spec.goals()[0]
    long = per_series_rows(results).dropna(subset=[goal.metric])
    ranked = long.sort_values(goal.metric, ascending=goal.direction == "minimize", kind="stable")
    winners = ranked.groupby("label", sort=False).head(1).set_index("label")
    refs = [(series_label(*ref.key), ref) for ref in spec.universe]
    out = pd.DataFrame([winners.loc[label].to_dict() | {"exchange": ref.exchange, "symbol": ref.symbol}
                        for label, ref in refs if label in winners.index])
    return out.assign(objective=goal.metric, direction=goal.direction) if len(out) else out


def per_series_rows(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (trial, series): chunk_id, trial, params, label and that series' metrics, in results order."""
    records = [{"chunk_id": row.chunk_id, "trial": row.trial, "params": row.params, "label": label, **metrics}
               for row in results.itertuples(index=False) if isinstance(row.per_series, str)
               for label, metrics in json.loads(row.per_series).items()]
    columns = ["chunk_id", "trial", "params", "label", *METRIC_TYPES]
    return pd.DataFrame.from_records(records, columns=columns).astype({m: "float64" for m in METRICS})


def replace_rows(con: duckdb.DuckDBPyConnection, sweep: str, run_id: str, frames: dict[str, pd.DataFrame]) -> None:
    """In one transaction: create missing tables / columns, delete sweep + run_id rows, insert frames."""
    con.begin()
    try:
        for table, frame in frames.items():
            ensure_table(con, table)
            con.execute(f"delete from {table} where sweep = ? and run_id = ?", [sweep, run_id])
            if len(frame):
                con.register("incoming", frame)
                con.execute(f"insert into {table} by name select * from incoming")
                con.unregister("incoming")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def ensure_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    columns = TABLES[table]
    con.execute(f"create table if not exists {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    for column, kind in columns.items():
        con.execute(f"alter table {table} add column if not exists {column} {kind}")
