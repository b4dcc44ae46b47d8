"""Run one chunk of a sweep and write its rows to `<out_dir>/<chunk_id>.parquet`, atomically.

A chunk whose file exists is done: run_chunk returns the file without running
anything, so an Airflow retry or a re-run of the whole sweep only redoes missing
chunks. The file appears complete or not at all (written under a temporary name in
the same folder, flushed, then renamed over the final name with os.replace).

Columns: chunk_id, trial, params (JSON), param_<name> per param, then the metrics
of evaluate.py (means over the universe), n_trades and per_series (JSON: each
series' own metrics, see evaluate.by_series); walk-forward rows have
fold, the four window bounds, scheme, purge and embargo, the train and test windows,
inner_trials and oos_ / is_ / degradation_ / degradation_ratio_ columns instead of the
plain metrics (walk_forward.py).

Trial chunks also write each trial's daily returns per series to
`<out_dir>/returns/<chunk_id>.parquet` (returns_path; columns trial, series label,
first_day, returns: a list of float32, one per UTC day), BEFORE the chunk's file: a chunk
file that exists has its returns beside it. A subfolder, so neither dbt's chunk glob
(`<run>/*.parquet`) nor results.collect reads them; results.daily_returns does.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from include.atomic import write_parquet_atomic
from include.backtest import assert_no_lookahead
from include.sweeps.evaluate import Evaluator, series_bars, series_frames, series_label
from include.sweeps.plan import Chunk
from include.sweeps.progress import Progress
from include.sweeps.spec import SweepSpec
from include.sweeps.study import fail_stale, journal_storage, open_study, run_trials
from include.sweeps.walk_forward import run_fold

logger = logging.getLogger("include.sweeps")
Frames = Mapping[tuple[str, str], pd.DataFrame]


def check_strategy(spec: SweepSpec, frames: Frames) -> None:
    """The lookahead guard, once per sweep: the strategy with default params on the first series.
    Peeking is a property of the code, so run_chunk's backtests skip the check."""
    assert_no_lookahead(spec.get_strategy(), series_frames(spec, frames)[0])


def chunk_path(out_dir: str | Path, chunk: Chunk) -> Path:
    return Path(out_dir) / f"{chunk.chunk_id}.parquet"


def returns_path(out_dir: str | Path, chunk_id: str) -> Path:
    return Path(out_dir) / "returns" / f"{chunk_id}.parquet"


def run_chunk(spec: SweepSpec, chunk: Chunk, frames: Frames, out_dir: str | Path) -> Path:
    """Evaluate the chunk's trials on every series of spec.universe; the path of its result file."""
    path = chunk_path(out_dir, chunk)
    if path.exists():
        logger.info("%s: %s exists, nothing to do", chunk.label, path.name)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(chunk.label, chunk.n_trials)
    if chunk.method in ("grid", "random"):
        rows = _listed_trials(spec, chunk, frames, progress)
    elif chunk.method in ("tpe", "nsga2"):
        rows = _study_trials(spec, chunk, frames, Path(out_dir), progress)
    else:
        rows = [run_fold(spec, chunk.fold, frames, progress)]
    if chunk.method != "walk_forward":
        write_parquet_atomic(_daily_table(spec, rows), returns_path(out_dir, chunk.chunk_id))
    write_atomic(_table(spec, chunk, rows), path)
    logger.info("%s: wrote %d rows to %s", chunk.label, len(rows), path)
    return path


def _listed_trials(spec: SweepSpec, chunk: Chunk, frames: Frames, progress: Progress) -> list[dict]:
    evaluate = Evaluator.for_spec(spec, series_bars(spec, frames), keep_daily=True)
    numbers, params = zip(*chunk.trials) if chunk.trials else ((), ())
    rows = [{"trial": number, "params": p, **metrics}
            for number, p, metrics in zip(numbers, params, evaluate.many(list(params)), strict=True)]
    progress.step(len(rows))
    return rows


def _study_trials(spec: SweepSpec, chunk: Chunk, frames: Frames, out_dir: Path, progress: Progress) -> list[dict]:
    evaluate = Evaluator.for_spec(spec, series_bars(spec, frames), keep_daily=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    study = open_study(spec, chunk.study, journal_storage(out_dir, chunk.study), spec.seed + chunk.index)
    stale = fail_stale(study, chunk.chunk_id)
    if stale:
        logger.info("%s: marked %d trials of an earlier attempt FAIL", chunk.label, stale)
    done = run_trials(study, spec, evaluate.many, chunk.n_trials, chunk.chunk_id, progress.step)
    return [{"trial": number, "params": params, **metrics} for number, params, metrics in done]


def _daily_table(spec: SweepSpec, rows: list[dict]):
    """The rows' daily returns (popped from them) as a pyarrow table: one row per trial and series."""
    import pyarrow as pa

    labels = [series_label(*ref.key) for ref in spec.universe]
    trials, series, firsts, arrays = [], [], [], []
    for row in rows:
        for label, (first, daily) in zip(labels, row.pop("daily_returns"), strict=True):
            trials.append(row["trial"])
            series.append(label)
            firsts.append(first.strftime("%Y-%m-%d"))
            arrays.append(daily)
    offsets = np.cumsum([0, *(len(a) for a in arrays)]).astype(np.int32)
    values = np.concatenate(arrays) if arrays else np.empty(0, np.float32)
    return pa.table({"trial": pa.array(trials, pa.int64()), "series": pa.array(series, pa.string()),
                     "first_day": pa.array(firsts, pa.string()),
                     "returns": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, pa.float32()))})


def _table(spec: SweepSpec, chunk: Chunk, rows: list[dict]) -> pd.DataFrame:
    """chunk_id, trial, params as JSON and one param_<name> column per param, then the rest of each row."""
    names = [p.name for p in spec.get_strategy().params]
    records = []
    for row in rows:
        params = row.pop("params")
        head = {"chunk_id": chunk.chunk_id, "trial": row.pop("trial"), "params": json.dumps(params, sort_keys=True)}
        if "per_series" in row:
            row["per_series"] = json.dumps(row["per_series"], sort_keys=True)
        records.append(head | {f"param_{n}": params[n] for n in names} | row)
    return pd.DataFrame.from_records(records)


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """frame as Parquet at path, all or nothing: a temporary file in the same folder, fsync, os.replace."""
    write_parquet_atomic(frame, path)
