"""A sweep's bars, read from the Parquet export of fct_features, never from the DuckDB file.

Sweep chunks run in parallel; the DuckDB file admits one writer and blocks readers
while it writes, so they read the export `warehouse_build` writes after each build.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from include.sweeps.errors import SweepError
from include.sweeps.spec import SweepSpec
from include.paths import DataPaths

FEATURES_TABLE = "fct_features"


def features_export(data_dir: Path) -> Path:
    return DataPaths(Path(data_dir)).export(FEATURES_TABLE)


def load_frames(spec: SweepSpec, data_dir: Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Each (exchange, symbol) of the sweep's universe at its timeframe, in time order."""
    path = features_export(data_dir)
    if not path.is_file():
        raise SweepError(f"sweep {spec.name!r}: {path} does not exist; run warehouse_build first (it exports the marts)")
    dataset = ds.dataset(path, format="parquet")
    frames = {}
    for ref in spec.universe:
        wanted = (ds.field("exchange") == ref.exchange) & (ds.field("symbol") == ref.symbol) & (
            ds.field("timeframe") == spec.timeframe)
        frame = dataset.to_table(filter=wanted).to_pandas().sort_values("ts").reset_index(drop=True)
        if frame.empty:
            raise SweepError(
                f"sweep {spec.name!r}: no {spec.timeframe} bars for {ref.exchange} {ref.symbol} in {path}; "
                "is the series landed and the warehouse built?"
            )
        frames[ref.key] = frame
    return frames


def sweep_dir(data_dir: Path, spec: SweepSpec, run: str) -> Path:
    """Where one run of one sweep keeps its chunk files and Optuna journal."""
    return DataPaths(Path(data_dir)).sweep_run(spec.name, run)
