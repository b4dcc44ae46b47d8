"""The scaled-out stack (scripts/scaleout.py: docker-compose.yml's configuration natively) runs the DAGs.

One stack for the module: PostgreSQL metadata, Redis broker, FAB auth, api-server, scheduler,
dag-processor, triggerer and two Celery workers. Everything goes through the REST API v2 with a
token from /auth/token. In order: a sweep whose chunks run on both workers, a paper rebalance
whose ledger is in PostgreSQL, then a sweep during which worker-1 is SIGKILLed (its running chunk
fails on the missed heartbeat and its retry runs on worker-2). Teardown asserts that no process
the stack started is alive.

The stack's timings are shortened for the test (same behaviour, seconds instead of minutes): a task
missing heartbeats for 30 s is failed (scaleout's 60 s), checked every 2 s, and a failed task is
retried after seconds, not the DAGs' minute (a task policy in the stack's AIRFLOW_HOME/config).
"""
import os
import textwrap

import duckdb
import pytest

from include.execution.ledger import Ledger
from scripts.scaleout import scaleout_stack
from tests.dags.stack_support import PARSE_TIMEOUT_ENV, dags_folder
from tests.dags.test_sweep_run import export_real_candles
from tests.execution.desk_support import build_warehouse, config_text, land_sim

SWEEPS = """
sweeps:
  - name: spread
    strategy: sma_crossover
    universe: [{exchange: sim_alpha, symbol: BTC/USDT}, {exchange: sim_alpha, symbol: ETH/USDT}]
    timeframe: 1h
    params: {fast: {low: 4, high: 12, step: 4}, slow: {low: 20, high: 40, step: 10}, kind: sma, mode: long_only}
    method: grid
    budget: 9
    chunk_size: 1
  - name: survive
    strategy: sma_crossover
    universe: [{exchange: sim_alpha, symbol: BTC/USDT}, {exchange: sim_alpha, symbol: ETH/USDT}]
    timeframe: 1h
    params: {fast: {low: 2, high: 16, step: 2}, slow: {low: 20, high: 90, step: 10}, kind: sma, mode: long_only}
    method: grid
    budget: 64
    chunk_size: 8
"""
CHUNK = "run_sweep_chunk"
FAST = {
    # No cron runs: unpausing nightly_sweep would otherwise start its latest scheduled run of every sweep.
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
    # Above the workers' 5 s heartbeat interval with room for a loaded machine; a live task that still
    # missed it would only be retried (the runs' assertions hold), never lost.
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
} | PARSE_TIMEOUT_ENV
# Airflow imports airflow_local_settings from AIRFLOW_HOME/config: the dag-processor applies the policy
# to every task it parses, so the serialized DAGs the scheduler follows carry these delays.
RETRY_POLICY = """
    from datetime import timedelta


    def task_policy(task):
        task.retry_delay = timedelta(seconds=2)
        task.max_retry_delay = timedelta(seconds=10)
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaleout")
    data = root / "data"
    export_real_candles(data)  # the fct_features export the sweep chunks read
    land_sim(data)             # validated candles and daily returns the rebalance needs
    build_warehouse(data)
    (root / "config.yaml").write_text(config_text(extra=SWEEPS))
    fast = FAST | {"AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder(root, "nightly_sweep.py", "rebalance.py"))}
    (root / "home" / "config").mkdir(parents=True)
    (root / "home" / "config" / "airflow_local_settings.py").write_text(textwrap.dedent(RETRY_POLICY))
    # PEAKTRADE_TEST_REDIS_DB: another broker database where several sessions share one Redis
    with scaleout_stack(root, config=root / "config.yaml", data_dir=data,
                        redis_db=int(os.environ.get("PEAKTRADE_TEST_REDIS_DB", "1")), extra_env=fast) as running:
        for dag_id in ("nightly_sweep", "rebalance"):
            running.unpause(dag_id)
        delay = running.request("GET", f"/api/v2/dags/nightly_sweep/tasks/{CHUNK}")["retry_delay"]
        assert (delay["days"], delay["seconds"]) == (0, 2), f"the retry policy was not applied: {delay}"
        yield running
    assert running.alive() == [], "processes the stack started are still alive"


def sweep(stack, name: str) -> str:
    run = stack.trigger("nightly_sweep", {"sweeps": [name]})
    return run["dag_run_id"]


def warehouse_trials(stack, name: str) -> tuple[int, int]:
    path = stack.root / "data" / "warehouse" / "peak_trade.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*), count(distinct trial) from fct_sweep_trials where sweep = ?",
                           [name]).fetchone()


def test_a_sweeps_chunks_run_on_both_workers_and_land_once(stack):
    run_id = sweep(stack, "spread")
    assert stack.wait_run("nightly_sweep", run_id) == "success"
    chunks = [ti for ti in stack.task_instances("nightly_sweep", run_id) if ti["task_id"] == CHUNK]
    assert len(chunks) == 9 and all(ti["state"] == "success" for ti in chunks)
    assert {ti["hostname"] for ti in chunks} == {"worker-1", "worker-2"}
    assert warehouse_trials(stack, "spread") == (9, 9)


def test_a_paper_rebalance_writes_its_ledger_to_postgresql(stack):
    run_id = stack.trigger("rebalance", {"dry_run": False})["dag_run_id"]
    assert stack.wait_run("rebalance", run_id) == "success"
    ledger = Ledger(stack.env["PEAKTRADE_LEDGER_URL"])
    try:
        assert ledger.engine.dialect.name == "postgresql"
        assert len(ledger.orders()) == 3 and len(ledger.fills()) == 3
        assert {f.symbol for f in ledger.fills()} == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    finally:
        ledger.close()
    assert not (stack.root / "data" / "ledger" / "ledger.sqlite").exists()


# Last: it leaves one worker.
def test_a_worker_killed_mid_sweep_loses_no_chunk(stack):
    run_id = sweep(stack, "survive")

    def running_on_worker_1():
        tis = stack.task_instances("nightly_sweep", run_id)
        return [ti for ti in tis if ti["task_id"] == CHUNK and ti["state"] == "running"
                and ti["hostname"] == "worker-1"]

    from scripts.scaleout import _wait
    victims = _wait(running_on_worker_1, 600, "a chunk running on worker-1", stack, every=0.3)
    stack.kill("worker-1")
    assert stack.wait_run("nightly_sweep", run_id, timeout=1200) == "success"

    chunks = [ti for ti in stack.task_instances("nightly_sweep", run_id) if ti["task_id"] == CHUNK]
    assert len(chunks) == 8 and all(ti["state"] == "success" for ti in chunks)
    for victim in victims:
        retried = next(ti for ti in chunks if ti["map_index"] == victim["map_index"])
        assert retried["try_number"] > 1 and retried["hostname"] == "worker-2", retried
    assert warehouse_trials(stack, "survive") == (64, 64)
