"""The dbt project's manifest, so rendering warehouse_build never runs dbt at DAG-parse time.

cosmos can render the task group from `dbt ls` (a dbt process on every parse: 13 s idle,
over Airflow's 30 s parse timeout on a loaded machine, and then warehouse_build is simply
missing) or from a manifest.json. `make` writes the manifest with `dbt parse` whenever a
file of the dbt project changes (`python -m include.warehouse.dbt_manifest`), and a
parse reads it only when it is newer than every file of the project; a stale or missing
manifest means `dbt ls` as before, so an edited model is never rendered from an old graph.

The manifest describes the graph only (models, tests, dependencies, tags). Every dbt
run still parses the project itself with the run's data directory, but partially where it
can: the parse state saved next to the manifest (partial_parse.msgpack, for the configured
data directory) serves cosmos' first build (it takes the project's state when newer than its
cache) and the first run_dbt there (publish_sweeps in a fresh clone), which then re-read only
what differs instead of the whole project.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from include.config.loader import PROJECT_ROOT, data_dir, load_config
from include.warehouse.dbt_runner import DBT_PROJECT, PARTIAL_PARSE, PROFILE, TARGET, WarehouseError

MANIFEST = DBT_PROJECT / "target" / "manifest.json"
# What `dbt parse` reads: a change to any of these can change the graph.
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "tests", "seeds")


def _project_files() -> list[Path]:
    files = []
    for part in PROJECT_PARTS:
        path = DBT_PROJECT / part
        files.extend([path] if path.is_file() else (p for p in path.rglob("*") if p.is_file()))
    return files


def fresh_manifest() -> Path | None:
    """The manifest if it exists and is newer than every file of the dbt project, else None."""
    try:
        built = MANIFEST.stat().st_mtime
    except FileNotFoundError:
        return None
    return MANIFEST if all(f.stat().st_mtime <= built for f in _project_files()) else None


def write_manifest() -> Path:
    """`dbt parse` into a scratch target, then its parse state and the manifest renamed into place
    (readers never see half; the manifest last, as its time says the pair is current)."""
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=MANIFEST.parent, prefix=".parse-") as scratch:
        # The graph does not depend on the data directory; the saved parse state does (the DuckDB
        # path is part of dbt's check): parse for the one the pipeline's runs use.
        data = data_dir(load_config()).resolve()
        env = {**os.environ, "PEAKTRADE_DATA_DIR": str(data), "PEAKTRADE_ROOT": str(PROJECT_ROOT), "DBT_TARGET_PATH": scratch}
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), "parse", "--project-dir", str(DBT_PROJECT),
             "--profiles-dir", str(DBT_PROJECT), "--log-path", scratch, "--profile", PROFILE, "--target", TARGET],
            env=env, capture_output=True, text=True)
        written = Path(scratch) / "manifest.json"
        if done.returncode != 0 or not written.is_file():
            raise WarehouseError(f"dbt parse failed, no manifest written: {done.stdout.strip()[-1500:]}")
        state = Path(scratch) / PARTIAL_PARSE.name
        if state.is_file():  # dbt skips it only when it cannot pickle the parse
            os.replace(state, PARTIAL_PARSE)
        os.replace(written, MANIFEST)
    return MANIFEST


def main() -> None:
    if fresh_manifest() is None:
        print(f"dbt manifest: {write_manifest().relative_to(PROJECT_ROOT)} written by dbt parse")
    else:
        print(f"dbt manifest: {MANIFEST.relative_to(PROJECT_ROOT)} is up to date")


if __name__ == "__main__":
    main()
