"""The real scheduler: ingest publishes the asset, warehouse_build follows, no DuckDB lock is ever hit.

Runs Airflow's api-server, scheduler and dag-processor (LocalExecutor,
parallelism 4) on loopback with a SQLite metadata database, triggers
market_data_ingest and waits for the asset-scheduled warehouse_build.
"""
import json
import sqlite3

import pytest

from tests.dags.isolated_airflow import free_port, isolated_airflow, stop, wait_for

CONFIG = """
universe:
  symbols: [BTC/USDT, ETH/USDT]
  timeframes: [1h]
  exchanges:
    - {id: sim_alpha, source: sim}
    - {id: sim_beta, source: sim}
history: {start: {1h: 2d}}
ingest: {task_retries: 1, retries: 1, retry_base_delay_s: 0}
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    port = free_port()
    cli = isolated_airflow(
        tmp_path_factory.mktemp("scheduler"), CONFIG,
        f"export AIRFLOW__API__PORT={port} AIRFLOW__API__HOST=127.0.0.1",
        f"export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:{port}/execution/",
        "export AIRFLOW__API_AUTH__JWT_SECRET=peaktrade-test AIRFLOW__CORE__PARALLELISM=4",
        # Paused until every DAG is parsed: an asset event only queues DAGs that already exist.
        "export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True",
        "export AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2 AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10",
        # Each file parsed once: re-parsing all of them every 30 s (the default) costs about a core here.
        "export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=3600",
    )
    root = cli.root
    assert cli('pools set duckdb 1 "DuckDB warehouse file"').returncode == 0
    procs = [cli.start(component) for component in ("api-server", "scheduler", "dag-processor")]
    try:
        yield root, cli
    finally:
        stop(procs)


def _runs(cli, dag_id: str) -> list[dict]:
    done = cli(f"dags list-runs {dag_id} -o json")
    listing = [line for line in done.stdout.splitlines() if line.startswith("[")]  # warnings share stdout
    return json.loads(listing[-1]) if done.returncode == 0 and listing else []


def _settled(cli, dag_id: str) -> list[dict]:
    """All runs of a DAG once at least one exists and none is queued or running."""
    runs = _runs(cli, dag_id)
    return runs if runs and all(r["state"] in ("success", "failed") for r in runs) else []


def test_ingest_then_asset_scheduled_warehouse_without_lock_errors(services):
    root, cli = services
    # Both parsed before anything runs: an asset event emitted before warehouse_build is
    # registered as its consumer would trigger nothing (the scheduled ingest run starts at unpause).
    for dag_id in ("warehouse_build", "market_data_ingest"):
        wait_for(lambda: cli(f"dags details {dag_id}").returncode == 0, 300, f"{dag_id} to be parsed")
    for dag_id in ("warehouse_build", "market_data_ingest"):
        assert cli(f"dags unpause {dag_id}").returncode == 0
    assert cli("dags trigger market_data_ingest").returncode == 0  # the scheduler may start a scheduled run too
    ingests = wait_for(lambda: _settled(cli, "market_data_ingest"), 480, "market_data_ingest to finish")
    assert {r["state"] for r in ingests} == {"success"}
    builds = wait_for(lambda: _settled(cli, "warehouse_build"), 600, "the asset-scheduled warehouse_build to finish")
    assert {r["state"] for r in builds} == {"success"}

    db = sqlite3.connect(root / "airflow.db")
    spans = db.execute(
        "select task_id, start_date, end_date from task_instance where pool = 'duckdb' and dag_id = 'warehouse_build' "
        "and start_date is not null order by start_date"  # skipped tasks (e.g. a model's tests) never start
    ).fetchall()
    assert len(spans) >= 3
    for (_, _, end), (task, start, _) in zip(spans, spans[1:]):
        assert start >= end, f"{task} started while another task held the DuckDB pool slot"
    parallel = db.execute(
        "select count(*) from task_instance a join task_instance b on a.dag_id = b.dag_id and a.run_id = b.run_id"
        " and a.task_id = 'land' and b.task_id = 'land' and a.map_index < b.map_index"
        " and a.start_date < b.end_date and b.start_date < a.end_date"
    ).fetchone()[0]
    assert parallel >= 1, "mapped land tasks never ran side by side: parallelism was not above one"
    logs = "\n".join(p.read_text(errors="replace") for p in (root / "home" / "logs").rglob("*.log"))
    assert "Could not set lock" not in logs and "Conflicting lock" not in logs
