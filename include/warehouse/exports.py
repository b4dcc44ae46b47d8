"""Parquet exports of the marts: what tasks running in parallel read instead of the DuckDB file."""
from __future__ import annotations

from pathlib import Path

import duckdb

from include.atomic import atomic_path
from include.paths import DataPaths


def export_dir(data_dir: Path) -> Path:
    return DataPaths(Path(data_dir)).exports


def export_marts(data_dir: Path, marts: tuple[str, ...]) -> dict[str, tuple[Path, int]]:
    """Write each existing mart to exports/<mart>.parquet atomically; missing marts are skipped."""
    paths = DataPaths(Path(data_dir))
    paths.exports.mkdir(parents=True, exist_ok=True)
    written = {}
    with duckdb.connect(str(paths.duckdb), read_only=True) as con:
        present = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        for mart in marts:
            if mart not in present:
                continue
            target = paths.export(mart)
            with atomic_path(target) as tmp:
                con.execute(f"copy (select * from {mart}) to '{tmp}' (format parquet)")
            rows = con.execute(f"select count(*) from {mart}").fetchone()[0]
            written[mart] = (target, rows)
    return written
