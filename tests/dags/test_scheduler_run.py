"""The real scheduler: ingest publishes the asset, warehouse_build follows, no DuckDB lock is ever hit.

Runs Airflow's api-server, scheduler and dag-processor (LocalExecutor,
parallelism 4) on loopback with a SQLite metadata database, unpauses
market_data_ingest (its latest hourly run starts) and waits for the asset-scheduled warehouse_build.
"""
import sqlite3

import pytest

from tests.dags.isolated_airflow import free_port, isolated_airflow, stop, wait_for
from tests.dags.stack_support import (PARSE_TIMEOUTS, admin_password, api_client, dag_runs, dags_folder, ok, parsed,
                                      settled_runs)

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
    root, port = tmp_path_factory.mktemp("scheduler"), free_port()
    dags = dags_folder(root, "market_data_ingest.py", "warehouse_build.py")  # the only DAGs parsed
    cli = isolated_airflow(
        root, CONFIG, f"export AIRFLOW__CORE__DAGS_FOLDER={dags}",
        f"export AIRFLOW__API__PORT={port} AIRFLOW__API__HOST=127.0.0.1",
        f"export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:{port}/execution/",
        "export AIRFLOW__API_AUTH__JWT_SECRET=peaktrade-test AIRFLOW__CORE__PARALLELISM=4",
        # Paused until every DAG is parsed: an asset event only queues DAGs that already exist.
        "export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True",
        "export AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC=2 AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=10",
        # Each file parsed once: re-parsing all of them every 30 s (the default) costs about a core here.
        "export AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL=3600",
        PARSE_TIMEOUTS,
    )
    procs = [cli.start(component) for component in ("api-server", "scheduler", "dag-processor")]
    try:
        # The simple auth manager's admin: its password is generated when the api-server starts.
        with api_client(f"http://127.0.0.1:{port}", "admin", admin_password(root)) as api:
            ok(api.post("/pools", json={"name": "duckdb", "slots": 1, "description": "DuckDB warehouse file"}))
            yield root, api
    finally:
        stop(procs)


def test_ingest_then_asset_scheduled_warehouse_without_lock_errors(services):
    root, api = services
    db_path = root / "airflow.db"  # polled read-only: an `airflow` CLI call per poll costs seconds of CPU
    # Both parsed before anything runs: an asset event emitted before warehouse_build is
    # registered as its consumer would trigger nothing.
    wait_for(lambda: parsed(db_path, "warehouse_build", "market_data_ingest"), 300, "both DAGs to be parsed", every=1)
    # Unpaused, the scheduler starts ingest's latest hourly run at once (start_date 2024-01-01, no catch-up):
    # the one ingest run under test (a triggered run besides would only queue a second one behind it).
    for dag_id in ("warehouse_build", "market_data_ingest"):
        ok(api.patch(f"/dags/{dag_id}", json={"is_paused": False}))
    assert wait_for(lambda: dag_runs(db_path, "market_data_ingest"), 120, "the scheduled ingest run", every=1)
    ingests = wait_for(lambda: settled_runs(db_path, "market_data_ingest"), 480, "market_data_ingest to finish")
    assert {r["state"] for r in ingests} == {"success"}
    builds = wait_for(lambda: settled_runs(db_path, "warehouse_build"), 600,
                      "the asset-scheduled warehouse_build to finish")
    assert {r["state"] for r in builds} == {"success"}

    db = sqlite3.connect(db_path)
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
