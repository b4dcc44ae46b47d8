"""What the Airflow-stack tests share to spend little CPU beside the stack they watch.

- They wait on DAG runs while the stack works. An `airflow` CLI call per poll starts a Python that imports
  Airflow (seconds of CPU each, on the cores the stack needs); a read-only query of the SQLite metadata
  database costs a millisecond, and a request to the running api-server about as little.
- A stack's dag-processor parses only the DAG files the test runs (dags_folder): each file costs seconds of
  CPU to import. That every DAG file imports is tests/dags/test_dag_integrity.py's to check.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.dags.isolated_airflow import wait_for

FINISHED = ("success", "failed")
# A DAG file that fails to import within Airflow's 30 s (a busy machine: the suite's two workers, or more)
# is never parsed again under MIN_FILE_PROCESS_INTERVAL=3600, and the test waits in vain for its DAG.
PARSE_TIMEOUT_ENV = {"AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "180",
                     "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "240"}
PARSE_TIMEOUTS = "export " + " ".join(f"{k}={v}" for k, v in PARSE_TIMEOUT_ENV.items())  # for isolated_airflow


def dags_folder(root: Path, *files: str) -> Path:
    """root/dags holding links to these files of the project's dags/ (e.g. "rebalance.py"), for
    AIRFLOW__CORE__DAGS_FOLDER: the DAG modules still import operators/ and include/ from the project."""
    folder = root / "dags"
    folder.mkdir()
    for name in files:
        assert (REPO / "dags" / name).is_file(), f"no DAG file dags/{name}"
        (folder / name).symlink_to(REPO / "dags" / name)
    return folder


def _query(db: Path, sql: str, args: tuple = ()) -> list[tuple] | None:
    """Rows of one read-only query, or None while the database is missing or locked by a writer."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet, not migrated yet, or locked past the timeout
        return None


def parsed(db: Path, *dag_ids: str) -> bool:
    """Every one of dag_ids is in the database, serialized (what `airflow dags details` would find)."""
    marks = ",".join("?" * len(dag_ids))
    rows = _query(db, f"select d.dag_id from dag d join serialized_dag s on s.dag_id = d.dag_id "
                      f"where d.dag_id in ({marks})", dag_ids)
    return rows is not None and {r[0] for r in rows} == set(dag_ids)


def dag_runs(db: Path, dag_id: str) -> list[dict]:
    """The DAG's runs as `airflow dags list-runs` lists them (run_id, state), oldest first."""
    rows = _query(db, "select run_id, state from dag_run where dag_id = ? order by id", (dag_id,))
    return [{"run_id": run_id, "state": state} for run_id, state in rows or []]


def settled_runs(db: Path, dag_id: str) -> list[dict]:
    """All runs of a DAG once at least one exists and none is queued or running, else []."""
    runs = dag_runs(db, dag_id)
    return runs if runs and all(r["state"] in FINISHED for r in runs) else []


def finished_run(db: Path, dag_id: str, timeout: float = 600) -> dict:
    """The DAG's first run to end (success or failed)."""
    return wait_for(lambda: next((r for r in dag_runs(db, dag_id) if r["state"] in FINISHED), None),
                    timeout, f"a finished {dag_id} run", every=1)


def task_states(db: Path, dag_id: str, run_id: str) -> dict[str, str]:
    """task_id -> state of one run's task instances (a mapped task: its last map index's)."""
    rows = _query(db, "select task_id, state from task_instance where dag_id = ? and run_id = ? order by map_index",
                  (dag_id, run_id))
    return dict(rows or [])


def admin_password(root: Path, timeout: float = 180) -> str:
    """The simple auth manager's generated admin password (written when the api-server starts)."""
    def read():
        try:
            return json.loads((root / "home" / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        except (OSError, ValueError, KeyError):  # not written yet, or half-written
            return None
    return wait_for(read, timeout, "the api-server's generated admin password", every=1)


def api_token(base: str, username: str, password: str, timeout: float = 180) -> str:
    """A JWT from base/auth/token, once the api-server is up and hands one out."""
    def token():
        try:
            answer = httpx.post(f"{base}/auth/token", json={"username": username, "password": password}, timeout=30)
        except httpx.TransportError:
            return None
        return answer.json()["access_token"] if answer.status_code == 201 else None

    return wait_for(token, timeout, f"a token for {username} from the api-server", every=1)


def api_client(base: str, username: str, password: str, timeout: float = 180) -> httpx.Client:
    """An httpx client on base/api/v2 holding a JWT from /auth/token (api_token)."""
    jwt = api_token(base, username, password, timeout)
    return httpx.Client(base_url=f"{base}/api/v2", timeout=60, headers={"Authorization": f"Bearer {jwt}"})


def ok(answer: httpx.Response) -> dict:
    """The JSON of a 2xx answer; any other status fails the test with the body."""
    assert answer.is_success, f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text[:500]}"
    return answer.json()
