"""Airflow side of the warehouse: the dbt project as cosmos tasks, and mart exports.

Every task that opens the DuckDB file runs in the `duckdb` pool (one slot):
DuckDB allows one writing process and a reader cannot open the file while a
writer holds it, so the pipeline's tasks never meet each other on the file. A
process outside the pipeline (a notebook) can still hold it: those tasks then wait
for its lock (include/warehouse/connection.py) instead of failing, and export_marts
ends each build by publishing reader.duckdb, the copy readers open.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from airflow.sdk import Asset, task
from airflow.sdk.exceptions import AirflowFailException
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import PRODUCER_WATCHER_TASK_ID as PRODUCER_TASK
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior

from include.checked_config import load_checked_config
from include.config.loader import PROJECT_ROOT, data_dir
from include.warehouse.dbt_manifest import MANIFEST, fresh_manifest
from include.warehouse.dbt_runner import DBT_PROJECT, PROFILE, TARGET
from include.warehouse.exports import EXPORTED_MARTS, LEDGER_MARTS
from operators.common import bad_input_fails_fast

log = logging.getLogger(__name__)
DUCKDB_POOL = "duckdb"
MART_ASSETS = {name: Asset(name=f"mart_{name}", uri=f"peaktrade://warehouse/{name}") for name in EXPORTED_MARTS}


def dbt_project_configs(manifest: Path | None = None) -> tuple[ProjectConfig, ProfileConfig]:
    """The dbt project (and its manifest, to render from) and its DuckDB profile, pointed at the data directory."""
    data = str(data_dir(load_checked_config()).resolve())  # as run_dbt and make's dbt parse name it
    return (
        ProjectConfig(
            DBT_PROJECT, env_vars={"PEAKTRADE_DATA_DIR": data, "PEAKTRADE_ROOT": str(PROJECT_ROOT)},
            install_dbt_deps=False, manifest_path=manifest,
        ),
        ProfileConfig(profile_name=PROFILE, target_name=TARGET, profiles_yml_filepath=DBT_PROJECT / "profiles.yml"),
    )


def _wait_for_warehouse_lock(context, operator) -> None:
    """Interceptor on the producer, just before `dbt build`: wait (bounded) while a reader outside the pipeline holds the file."""
    from include.warehouse.connection import wait_until_unlocked
    from include.warehouse.dbt_runner import warehouse_file

    wait_until_unlocked(warehouse_file(data_dir(load_checked_config())))


def _consumers_never_run_dbt(context, operator) -> None:
    """Interceptor on the per-model sensors: only the producer opens the DuckDB file.

    cosmos falls back to `dbt run --select <model>` in a consumer that is cleared or retried; that
    would open the file outside the `duckdb` pool, so a consumer refuses and names what to rerun.
    """
    raise AirflowFailException(
        f"{operator.task_id} only reports its model's result from the one `dbt build`: clear "
        f"{PRODUCER_TASK} (the one task that opens the DuckDB file) to build the warehouse again"
    )


def dbt_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    """One `dbt build` (the producer, in the duckdb pool) and one task per model and per model's tests.

    cosmos' watcher mode: the producer runs the whole selection as one dbt process and pushes each
    node's result to XCom as it finishes; each model's task (a sensor) and its tests' task read that
    result, so the UI keeps a task, a log and the compiled SQL per model while dbt starts once and
    every test runs once. The sensors wait behind the producer and poke without deferring: one poke
    finds the result, no triggerer is needed (`airflow dags test` runs tasks one at a time in one
    process, where a sensor started before the producer would wait forever).
    """
    # The graph from make's manifest when it is current: no dbt process at parse time (dbt ls takes
    # 13 s, past Airflow's 30 s parse timeout on a busy machine); a stale or missing one means dbt ls.
    manifest = fresh_manifest()
    if manifest is None:
        log.warning("dbt manifest %s is missing or older than the dbt project: rendering with dbt ls (slow); "
                    "`make` or `python -m include.warehouse.dbt_manifest` writes it", MANIFEST)
    project_config, profile_config = dbt_project_configs(manifest)
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=project_config,
        profile_config=profile_config,
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            dbt_executable_path=str(Path(sys.executable).parent / "dbt"),
            invocation_mode=InvocationMode.SUBPROCESS,
            # The producer alone opens the DuckDB file: it alone takes the pool's one slot.
            setup_operator_args={"pool": DUCKDB_POOL, "interceptors": [_wait_for_warehouse_lock], "retries": 0},
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS if manifest is None else LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # No source tasks: in watcher mode they would add a `dbt source freshness` process per run;
            # `dbt build` still runs the sources' tests.
            source_rendering_behavior=SourceRenderingBehavior.NONE,
            emit_datasets=False,
            # The sweep marts read sweep results, not candles: publish_sweeps builds them, not every ingest.
            # dbt's unit tests check the models' SQL, not the data: `make test` runs them (tests/warehouse).
            exclude=["tag:sweeps", "resource_type:unit_test"],
        ),
        operator_args={
            "install_deps": False,
            "deferrable": False,
            "poke_interval": 2,
            # A retried or cleared sensor would rerun its model itself (cosmos' fallback): refused above.
            "retries": 0,
            "interceptors": [_consumers_never_run_dbt],
        },
    )
    _sensors_after_producer(group)
    return group


def _sensors_after_producer(group: DbtTaskGroup) -> None:
    """Put the producer upstream of every sensor with no upstream task in the group.

    cosmos starts those sensors alongside the producer (only a DbtDag gets that edge); behind it
    they read a finished result in one poke, and a failed build leaves them upstream_failed instead
    of falling back to running dbt themselves.
    """
    tasks = list(group.iter_tasks())
    in_group = {task.task_id for task in tasks}
    producer = next(task for task in tasks if task.task_id.endswith(f".{PRODUCER_TASK}"))
    for task in tasks:
        if getattr(task, "producer_task_id", None) and not task.upstream_task_ids & in_group:
            producer >> task


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
    """Copy each mart to Parquet so parallel readers (sweeps, report charts) never open the DuckDB file,
    then publish reader.duckdb, the copy of the warehouse people open in notebooks."""
    from include.warehouse.connection import publish_reader_copy
    from include.warehouse.exports import export_marts as export

    data = data_dir(load_checked_config())
    # LEDGER_MARTS too: new candles move the ledger marts' marks (fct_positions, fct_pnl), which
    # the dbt group above rebuilt (a few small tables); publish_ledger exports them after trades.
    written = export(data, EXPORTED_MARTS + LEDGER_MARTS)
    reader = publish_reader_copy(data)
    log.info("exported %d marts (%d rows) to %s; readers' copy of the warehouse: %s", len(written),
             sum(rows for _, rows in written.values()), next(iter(written.values()))[0].parent if written else "-", reader)
    for name, (path, rows) in written.items():
        log.info("exported %s: %d rows -> %s", name, rows, path)
    return {name: str(path) for name, (path, _) in written.items()}
