"""Reading a sweep's results: all chunk files, the best trials, the Pareto front, walk-forward summary."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from include.sweeps.errors import SweepError
from include.sweeps.plan import study_name
from include.sweeps.spec import METRICS, Objective, SweepSpec


def collect(out_dir: str | Path, spec: SweepSpec | None = None) -> pd.DataFrame:
    """Every chunk file in out_dir (only `spec`'s when given) as one frame, by chunk then trial.
    Temporary files of writes in progress (dot-names) are never read."""
    pattern = f"{study_name(spec)}-*.parquet" if spec is not None else "*.parquet"
    files = sorted(p for p in Path(out_dir).glob(pattern) if not p.name.startswith("."))
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    return frame.sort_values(["chunk_id", "trial"], ignore_index=True)


def best(results: pd.DataFrame, spec: SweepSpec, n: int = 10) -> pd.DataFrame:
    """grid / random / tpe: the top n trials by objective (NaN last); nsga2: the Pareto front;
    walk_forward: one row per fold (walk_forward_summary(...).folds)."""
    if spec.method == "nsga2":
        return pareto_front(results, spec.objectives)
    if spec.method == "walk_forward":
        return walk_forward_summary(results).folds
    objective = spec.objective
    ranked = results.sort_values(objective.metric, ascending=objective.direction == "minimize",
                                 na_position="last", kind="stable")
    return ranked.head(n).reset_index(drop=True)


def _oriented(results: pd.DataFrame, objectives: list[Objective]) -> np.ndarray:
    """Objective values turned so that larger is better in every column."""
    signs = np.array([1.0 if o.direction == "maximize" else -1.0 for o in objectives])
    return results[[o.metric for o in objectives]].to_numpy(dtype=float) * signs


def pareto_front(results: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """The trials no other trial dominates (at least as good on every objective, better on one);
    trials with a NaN objective are left out. Sorted by the first objective, best first."""
    complete = results.dropna(subset=[o.metric for o in objectives]).reset_index(drop=True)
    values = _oriented(complete, objectives)
    keep = np.ones(len(values), dtype=bool)
    for i in range(len(values)):
        dominates_i = (values >= values[i]).all(axis=1) & (values > values[i]).any(axis=1)
        keep[i] = not dominates_i.any()
    front = complete[keep]
    first = objectives[0]
    return front.sort_values(first.metric, ascending=first.direction == "minimize", kind="stable",
                             ignore_index=True)


@dataclass(frozen=True)
class WalkForwardSummary:
    """folds: per fold its windows, chosen params, then out-of-sample metrics FIRST (what the params
    earned on bars they were not chosen on), in-sample metrics after, and degradation;
    mean_out_of_sample / mean_in_sample / mean_degradation: per metric, the mean over folds (NaN skipped)."""

    folds: pd.DataFrame
    mean_out_of_sample: dict[str, float]
    mean_in_sample: dict[str, float]
    mean_degradation: dict[str, float]


def walk_forward_summary(results: pd.DataFrame) -> WalkForwardSummary:
    measured = (*METRICS, "n_trades")
    columns = ["fold", "in_sample_start", "in_sample_end", "out_of_sample_start", "out_of_sample_end", "params",
               *(f"oos_{m}" for m in measured), *(f"is_{m}" for m in measured),
               *(f"degradation_{m}" for m in METRICS)]
    folds = results.sort_values("fold", ignore_index=True)[columns]
    return WalkForwardSummary(
        folds=folds,
        mean_out_of_sample={m: _mean(folds[f"oos_{m}"]) for m in METRICS},
        mean_in_sample={m: _mean(folds[f"is_{m}"]) for m in METRICS},
        mean_degradation={m: _mean(folds[f"degradation_{m}"]) for m in METRICS},
    )


def _mean(values: pd.Series) -> float:
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    return float(finite.mean()) if len(finite) else math.nan


def daily_returns(out_dir: str | Path, spec: SweepSpec, label: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One series' daily returns of every trial run into out_dir (run.returns_path files of `spec`):
    (chunk_id, trial) per trial, in that order, and a days x trials float32 matrix. Empty when no
    chunk kept returns (walk_forward, or results of an older version)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = sorted(p for p in (Path(out_dir) / "returns").glob(f"{study_name(spec)}-*.parquet")
                   if not p.name.startswith("."))
    keys, columns, first_days = [], [], set()
    for path in files:
        table = pq.read_table(path, filters=pc.field("series") == label)
        lengths = set(pc.list_value_length(table["returns"]).to_pylist())
        if len(table) and len(lengths) != 1:
            raise SweepError(f"{path}: the trials of {label} have different numbers of days {sorted(lengths)}")
        first_days.update(table["first_day"].to_pylist())
        keys += [(path.stem, trial) for trial in table["trial"].to_pylist()]
        if len(table):
            flat = table["returns"].combine_chunks().flatten().to_numpy(zero_copy_only=False)
            columns.append(flat.reshape(len(table), -1))
    widths = {c.shape[1] for c in columns}
    if len(widths) > 1 or len(first_days) > 1:
        raise SweepError(f"sweep {spec.name!r}: the chunks' daily returns of {label} cover different days "
                         f"(first days {sorted(first_days)}, lengths {sorted(widths)}); were they run on other data?")
    frame = pd.DataFrame(keys, columns=["chunk_id", "trial"])
    matrix = np.vstack(columns).T.astype(np.float32, copy=False) if columns else np.empty((0, 0), np.float32)
    order = frame.sort_values(["chunk_id", "trial"]).index.to_numpy()
    return frame.loc[order].reset_index(drop=True), matrix[:, order] if columns else matrix
