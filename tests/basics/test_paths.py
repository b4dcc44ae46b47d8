"""DataPaths: the one owner of every path under the data directory, agreeing with the dbt profile."""
from __future__ import annotations

import contextvars
import os
from pathlib import Path

import yaml

from include.paths import DataPaths, run_key
from include.warehouse.dbt_runner import DBT_PROJECT, warehouse_file
from include.warehouse.exports import export_dir


def test_the_layout_under_the_data_directory(tmp_path):
    paths = DataPaths(tmp_path)
    relative = {
        name: str(getattr(paths, name).relative_to(tmp_path))
        for name in ("raw", "quarantine", "gaps", "validation", "validation_results", "data_docs", "gx_results",
                     "locks", "landing_root", "warehouse", "duckdb", "dbt_target", "preflight_marker", "exports",
                     "sweeps", "ledger", "verdicts_root")
    }
    assert relative == {
        "raw": "raw", "quarantine": "quarantine", "gaps": "gaps", "validation": "validation",
        "validation_results": "validation/results", "data_docs": "validation/data_docs",
        "gx_results": "validation/gx_results", "locks": "locks", "landing_root": "landing",
        "warehouse": "warehouse", "duckdb": "warehouse/peak_trade.duckdb", "dbt_target": "warehouse/dbt_target",
        "preflight_marker": "warehouse/.preflight_passed", "exports": "warehouse/exports", "sweeps": "sweeps",
        "ledger": "ledger/ledger.sqlite", "verdicts_root": "validation/verdicts",
    }
    key = run_key("scheduled__2024-06-01T00:00:00+00:00")
    assert paths.landing(key) == tmp_path / "landing" / key
    assert paths.verdicts(key) == tmp_path / "validation" / "verdicts" / key
    assert paths.export("fct_features") == tmp_path / "warehouse" / "exports" / "fct_features.parquet"
    assert paths.sweep_run("sma_grid", key) == tmp_path / "sweeps" / "sma_grid" / key
    assert paths.sweep_heatmaps("sma_grid", key) == tmp_path / "sweeps" / "sma_grid" / key / "heatmaps"


def test_the_warehouse_modules_use_the_same_paths(tmp_path):
    assert warehouse_file(tmp_path) == DataPaths(tmp_path).duckdb
    assert export_dir(tmp_path) == DataPaths(tmp_path).exports


def test_the_duckdb_file_is_the_one_the_dbt_profile_resolves_to(tmp_path, monkeypatch):
    """Rendered by dbt's own profile renderer, with PEAKTRADE_DATA_DIR as run_dbt and cosmos set it."""
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(tmp_path))
    raw = yaml.safe_load((DBT_PROJECT / "profiles.yml").read_text())

    def render() -> dict:
        set_invocation_context(os.environ)  # dbt's env_var() reads this; a copied context keeps it local
        return ProfileRenderer({}).render_data(raw)

    profile = contextvars.copy_context().run(render)["peak_trade"]
    output = profile["outputs"][profile["target"]]
    assert Path(output["path"]) == DataPaths(tmp_path).duckdb
