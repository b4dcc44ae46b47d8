"""Airflow side of the warehouse: the dbt project as cosmos tasks, and mart exports.

Every task that opens the DuckDB file runs in the `duckdb` pool (one slot):
DuckDB allows one writing process and a reader cannot open the file while a
writer holds it, so no task ever waits on, or fails with, a file lock.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from airflow.sdk import Asset, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior

from include.checked_config import load_checked_config
from include.config.loader import PROJECT_ROOT, data_dir
from include.warehouse.dbt_runner import DBT_PROJECT
from include.warehouse.exports import EXPORTED_MARTS, LEDGER_MARTS
from operators.common import bad_input_fails_fast

log = logging.getLogger(__name__)
DUCKDB_POOL = "duckdb"
MART_ASSETS = {name: Asset(name=f"mart_{name}", uri=f"peaktrade://warehouse/{name}") for name in EXPORTED_MARTS}


def dbt_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    """Each dbt model, and the tests after it, as its own Airflow task."""
    data = str(data_dir(load_checked_config()))
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            DBT_PROJECT, env_vars={"PEAKTRADE_DATA_DIR": data, "PEAKTRADE_ROOT": str(PROJECT_ROOT)}, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name="peak_trade", target_name="local", profiles_yml_filepath=DBT_PROJECT / "profiles.yml"
        ),
        execution_config=ExecutionConfig(
            dbt_executable_path=str(Path(sys.executable).parent / "dbt"), invocation_mode=InvocationMode.SUBPROCESS
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.AFTER_EACH,
            source_rendering_behavior=SourceRenderingBehavior.WITH_TESTS_OR_FRESHNESS,
            emit_datasets=False,
            # The sweep marts read sweep results, not candles: publish_sweeps builds them, not every ingest.
            exclude=["tag:sweeps"],
        ),
        operator_args={"pool": DUCKDB_POOL, "install_deps": False},
    )


@task(pool=DUCKDB_POOL)
def prepare_warehouse() -> str:
    """Check the landed candles (empty universe, missing partition, schema drift) and create the warehouse folder."""
    from include.warehouse.dbt_runner import warehouse_file
    from include.warehouse.preflight import check_landed

    data = data_dir(load_checked_config())
    with bad_input_fails_fast():
        landed = check_landed(data)
    log.info("landed candles: %d series, %d partitions (%d new schemas checked)",
             landed.series, landed.partitions, landed.schemas_read)
    path = warehouse_file(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


@task(pool=DUCKDB_POOL, outlets=list(MART_ASSETS.values()))
def export_marts() -> dict:
    """Copy each mart to Parquet so parallel readers (sweeps, report charts) never open the DuckDB file."""
    from include.warehouse.exports import export_marts as export

    # LEDGER_MARTS too: new candles move the ledger marts' marks (fct_positions, fct_pnl), which
    # the dbt group above rebuilt (a few small tables); publish_ledger exports them after trades.
    written = export(data_dir(load_checked_config()), EXPORTED_MARTS + LEDGER_MARTS)
    for name, (path, rows) in written.items():
        log.info("exported %s: %d rows -> %s", name, rows, path)
    return {name: str(path) for name, (path, _) in written.items()}
