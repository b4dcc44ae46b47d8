"""docker-compose.yml's stack, natively: CeleryExecutor on PostgreSQL and Redis, two workers.

    python -m scripts.scaleout up      # start, print the URL and the admin login, leave it running
    python -m scripts.scaleout down    # stop every process `up` started (by PID), drop its databases

Containers cannot run on the development and CI machines, so this starts the compose file's
configuration with the same settings (SHARED_SETTINGS, checked against docker-compose.yml by
tests/scaleout/test_compose_file.py) on the services the machine runs: a fresh metadata
database and a fresh ledger database in PostgreSQL (unique names, dropped at the end), a Redis
database number as the broker, then in order, each waited on by its health check: db migrate,
the FAB admin user and the duckdb pool (airflow-init), api-server, scheduler + dag-processor +
triggerer, and the Celery workers with distinct hostnames. Every component is its own process
group whose leader's PID is recorded; stopping signals the groups, so task processes die too.

From Python (the tests and benchmarks):

    with scaleout_stack(root, config=path) as stack:
        stack.unpause("nightly_sweep"); run = stack.trigger("nightly_sweep", conf={...})
        stack.wait_run("nightly_sweep", run["dag_run_id"]); stack.kill("worker-1")
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = str(REPO / ".venv" / "bin" / "airflow")
PG_ADMIN_URL_ENV = "PEAKTRADE_PG_ADMIN_URL"  # where fresh databases are created (trust auth here)
PG_ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"
REDIS_HOST = "127.0.0.1:6379"
WORKERS = ("worker-1", "worker-2")
ADMIN_USER = "admin"

# docker-compose.yml's x-airflow-common environment sets these to the same values.
SHARED_SETTINGS = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
    # The desk's roles (operators/desk_roles.py) stay as airflow-init set them: no re-sync of FAB's
    # defaults at every start, which would give User back the right to trigger rebalance.
    "AIRFLOW__FAB__UPDATE_FAB_PERMS": "False",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    # Nothing scheduled starts by itself on a new stack: the hourly ingest waits for an unpause.
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACKS": "False",
    "AIRFLOW__API__EXPOSE_CONFIG": "False",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
    # A worker that dies (SIGKILL, a lost container) stops heartbeating its tasks: after this many
    # seconds the scheduler fails them and their retries run on the workers still alive.
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    # A task queued to a worker that died before starting it is queued again after this.
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
    # Acknowledged only when done, one message at a time per slot: a dead worker holds no backlog.
    "AIRFLOW__CELERY__TASK_ACKS_LATE": "True",
    "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
}
# docker-compose.yml sets these too, to container host names and the .env secrets; natively they
# point at 127.0.0.1, this stack's own databases and Redis number, free ports and per-stack secrets.
HOST_SETTINGS = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", "AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CELERY__WORKER_CONCURRENCY", "PEAKTRADE_DATA_DIR",
    "PEAKTRADE_REPORTS_DIR", "PEAKTRADE_CONFIG", "PEAKTRADE_LEDGER_URL",
)
# Native only: eight sessions share two cores here, so each DAG file is parsed once, not every 30 s.
NATIVE_ONLY = {"AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
               "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
               "AIRFLOW__CORE__HOSTNAME_CALLABLE": "scripts.worker_hostname.hostname"}
SECRET_SETTINGS = ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET")


class StackError(RuntimeError):
    """A component did not start or a request failed; the message names which."""


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_env() -> dict[str, str]:
    """The embedded default's settings (.airflow.env) in a clean environment: the base every
    component starts from, so the native stack differs from `make airflow` only where it says."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PEAKTRADE", "_AIRFLOW"))}
    clean["PEAKTRADE_ROOT"] = str(REPO)
    out = subprocess.run(["bash", "-c", f'source "{REPO}/.airflow.env" && env -0'], env=clean,
                         capture_output=True, check=True).stdout.decode()
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    env.pop("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", None)  # FAB owns the users here
    return env


def _fernet_key() -> str:
    from cryptography.fernet import Fernet
    return Fernet.generate_key().decode()


def _pg(sql: str) -> None:
    import psycopg
    with psycopg.connect(os.environ.get(PG_ADMIN_URL_ENV, PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(sql)


def _pg_url(database: str, driver: str = "postgresql+psycopg") -> str:
    base = os.environ.get(PG_ADMIN_URL_ENV, PG_ADMIN_URL).split("://", 1)[1].rsplit("/", 1)[0]
    return f"{driver}://{base}/{database}"


def _flush_redis(db: int) -> None:
    import redis
    redis.Redis.from_url(f"redis://{REDIS_HOST}/{db}").flushdb()


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from field 3 (state) on, or None if there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _start_ticks(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None  # field 22: start time since boot, in clock ticks


def _our_groups(leaders: dict[int, int]) -> set[int]:
    """The process groups (leader PID -> its start time) still ours: a group whose leader has exited keeps
    its id only while its own members live; a live leader with another start time is a reused PID,
    someone else's process, and is never signalled."""
    return {pid for pid, ticks in leaders.items() if _start_ticks(pid) in (None, ticks)}


def _group_members(pgids: set[int]) -> list[int]:
    """PIDs of live (non-zombie) processes in any of these process groups."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields and fields[0] != "Z" and int(fields[2]) in pgids:
            alive.append(int(stat.parent.name))
    return alive


def _stop_groups(leaders: dict[int, int]) -> None:
    """SIGTERM this stack's process groups, SIGKILL what is left of them after 30 s."""
    groups = _our_groups(leaders)
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while _group_members(groups) and time.monotonic() < deadline:
            time.sleep(0.3)


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    api_url: str
    admin_password: str
    metadata_db: str
    ledger_db: str
    redis_db: int
    workers: tuple[str, ...]
    pids: dict[str, int] = field(default_factory=dict)  # component -> PID, also its process group id
    killed: list[int] = field(default_factory=list)     # PIDs of components kill() ended
    started: dict[int, int] = field(default_factory=dict)  # PID -> its start time (clock ticks since boot)
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)
    _token: str | None = field(default=None, repr=False)
    _stopped: bool = False

    # -- processes -------------------------------------------------------------------------------
    def airflow(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def start(self, name: str, *args: str, **extra_env: str) -> int:
        """A long-running component in its own process group, logging to root/logs/<name>.log."""
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        with open(self.root / "logs" / f"{name}.log", "ab") as log:
            proc = subprocess.Popen([AIRFLOW, *args], env=self.env | extra_env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self._procs[name], self.pids[name] = proc, proc.pid
        self.started[proc.pid] = _start_ticks(proc.pid)
        self._save()
        return proc.pid

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a component's whole process group (a worker and the task processes it forked), as
        when its container dies, and reap it."""
        pid = self.pids.pop(name)
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        proc = self._procs.pop(name, None)
        if proc is not None:
            proc.wait(timeout=60)
        self.killed.append(pid)
        self._save()

    def alive(self) -> list[int]:
        """Live processes of every group this stack ever started (killed ones included)."""
        return _group_members(_our_groups(self.started))


    def stop(self) -> None:
        """SIGTERM every group, SIGKILL what is left after 30 s, then drop the databases and the broker's
        keys. Safe to call twice (the context manager and atexit both do)."""
        if self._stopped:
            return
        self._stopped = True
        _stop_groups(self.started)
        for proc in self._procs.values():
            proc.poll()  # reap: the groups are gone, so no zombie is left behind
        for database in (self.metadata_db, self.ledger_db):
            _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _flush_redis(self.redis_db)
        self._save()

    def _save(self) -> None:
        state = {"pids": self.pids, "killed": self.killed, "metadata_db": self.metadata_db,
                 "ledger_db": self.ledger_db, "redis_db": self.redis_db, "api_url": self.api_url, "started": self.started,
                 "stopped": self._stopped}
        (self.root / "stack.json").write_text(json.dumps(state, indent=1))

    # -- REST API v2 -----------------------------------------------------------------------------
    def token(self, username: str = ADMIN_USER, password: str | None = None) -> str:
        """A JWT from POST /auth/token (the FAB auth manager checks the user's password)."""
        body = self.request("POST", "/auth/token", {"username": username,
                                                    "password": password or self.admin_password}, auth=False)
        return body["access_token"]

    def request(self, method: str, path: str, body: dict | None = None, auth: bool | str = True):
        """JSON in, JSON out; a non-2xx answer raises StackError with the status and the body."""
        headers = {"Content-Type": "application/json"}
        if auth:
            if auth is True and self._token is None:
                self._token = self.token()
            headers["Authorization"] = f"Bearer {auth if isinstance(auth, str) else self._token}"
        req = urllib.request.Request(self.api_url + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise StackError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode()[:500]}") from None
        return json.loads(text) if text else None

    def health(self) -> dict:
        return self.request("GET", "/api/v2/monitor/health", auth=False)

    def unpause(self, dag_id: str, timeout: float = 300) -> None:
        """Unpause a DAG once the dag-processor has parsed it."""
        _wait(lambda: self._exists(dag_id), timeout, f"the dag-processor to parse {dag_id}", self)
        self.request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def _exists(self, dag_id: str) -> bool:
        try:
            self.request("GET", f"/api/v2/dags/{dag_id}")
            return True
        except StackError:
            return False

    def trigger(self, dag_id: str, conf: dict | None = None) -> dict:
        from datetime import datetime, timezone
        return self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns",
                            {"logical_date": datetime.now(timezone.utc).isoformat(), "conf": conf or {}})

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 900) -> str:
        """The run's final state (success or failed)."""
        return _wait(lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
                     timeout, f"{dag_id} run {run_id} to finish", self)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")[
            "task_instances"]

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[dict]:
        """Every try of one (mapped) task instance, earlier tries included."""
        return self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/"
                                   f"{map_index}/tries")["task_instances"]


def _wait(predicate, timeout: float, what: str, stack: Stack | None = None, every: float = 2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (StackError, urllib.error.URLError, ConnectionError, OSError):
            value = None
        if value:
            return value
        if stack is not None:
            dead = [name for name, proc in stack._procs.items() if proc.poll() is not None]
            if dead:
                raise StackError(f"{', '.join(dead)} exited while waiting for {what}; see "
                                 f"{stack.root / 'logs'}/<name>.log")
        time.sleep(every)
    raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")


def _ping_workers(stack: Stack) -> bool:
    from celery import Celery
    app = Celery(broker=stack.env["AIRFLOW__CELERY__BROKER_URL"])
    try:
        replies = app.control.ping(destination=[f"{w}@{socket.gethostname()}" for w in stack.workers], timeout=2)
    finally:
        app.close()
    return len(replies) == len(stack.workers)


def stack_env(root: Path, *, metadata_db: str, ledger_db: str, redis_db: int, api_port: int,
              config: Path | None, data_dir: Path, executor: str, concurrency: int) -> dict[str, str]:
    env = project_env() | SHARED_SETTINGS | NATIVE_ONLY
    env.update({
        "AIRFLOW_HOME": str(root / "home"),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _pg_url(metadata_db),
        # Airflow's async engine would pick asyncpg (not in the lock): psycopg 3 does async too.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _pg_url(metadata_db, "postgresql+psycopg_async"),
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}/{redis_db}",
        "AIRFLOW__CELERY__RESULT_BACKEND": _pg_url(metadata_db, "db+postgresql+psycopg"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(concurrency),
        "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "PEAKTRADE_DATA_DIR": str(data_dir),
        "PEAKTRADE_REPORTS_DIR": str(root / "reports"),
        "PEAKTRADE_LEDGER_URL": _pg_url(ledger_db),
    })
    from include.config.loader import config_path
    env["PEAKTRADE_CONFIG"] = str(config or config_path())  # config_path: the caller's PEAKTRADE_CONFIG or the project's
    for key, make in (("AIRFLOW__CORE__FERNET_KEY", _fernet_key),
                      ("AIRFLOW__API__SECRET_KEY", lambda: secrets.token_urlsafe(32)),
                      ("AIRFLOW__API_AUTH__JWT_SECRET", lambda: secrets.token_urlsafe(32))):
        env[key] = os.environ.get(key) or make()  # the caller's (from .env) or fresh for this stack
    return env


def start_stack(root: Path, *, config: Path | None = None, data_dir: Path | None = None,
                workers: tuple[str, ...] = WORKERS, executor: str = "CeleryExecutor", concurrency: int = 2,
                redis_db: int = 1, name: str = "stack", extra_env: dict[str, str] | None = None) -> Stack:
    """Start the stack under root (home/, logs/, reports/, data/ unless data_dir); the caller must
    stop() it (scaleout_stack does). On any failure here everything started so far is stopped."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:10]
    metadata_db, ledger_db = f"peaktrade_{name}_meta_{suffix}", f"peaktrade_{name}_ledger_{suffix}"
    port = free_port()
    env = stack_env(root, metadata_db=metadata_db, ledger_db=ledger_db, redis_db=redis_db, api_port=port,
                    config=config, data_dir=Path(data_dir or root / "data").resolve(), executor=executor,
                    concurrency=concurrency) | (extra_env or {})
    stack = Stack(root, env, f"http://127.0.0.1:{port}", secrets.token_urlsafe(16), metadata_db, ledger_db,
                  redis_db, workers if executor == "CeleryExecutor" else ())
    _pg(f'CREATE DATABASE "{metadata_db}"')
    _pg(f'CREATE DATABASE "{ledger_db}"')
    atexit.register(stack.stop)  # a caller that dies without its finally still leaves nothing running
    _exit_on_sigterm()
    try:
        _flush_redis(redis_db)
        _init(stack)
        stack.start("api-server", "api-server")
        _wait(lambda: stack.health()["metadatabase"]["status"] == "healthy", 180, "the api-server", stack)
        for component in ("scheduler", "dag-processor", "triggerer"):
            stack.start(component, component)
        _wait(lambda: all(stack.health()[c]["status"] == "healthy" for c in ("scheduler", "triggerer", "dag_processor")),
              180, "scheduler, triggerer and dag-processor heartbeats", stack)
        for worker in stack.workers:
            stack.start(worker, "celery", "worker", "--celery-hostname", f"{worker}@%h",
                        PEAKTRADE_HOSTNAME=worker, AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()))
        if stack.workers:
            _wait(lambda: _ping_workers(stack), 180, f"Celery workers {', '.join(stack.workers)} to answer a ping",
                  stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def _exit_on_sigterm() -> None:
    """SIGTERM (a CI timeout, `kill`) ends Python without running finally blocks or atexit; turned into
    SystemExit it runs both, so the stack is stopped. Only where nothing else handles SIGTERM."""
    import threading

    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def _init(stack: Stack) -> None:
    """What compose's airflow-init does: migrate, the desk's roles, the FAB admin user, the duckdb pool."""
    migrated = stack.airflow("db", "migrate")
    if migrated.returncode != 0:
        raise StackError(f"airflow db migrate failed:\n{(migrated.stdout + migrated.stderr)[-2000:]}")
    # Before the dag-processor starts: a trade DAG's access_control names roles that must exist.
    roles = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "operators.desk_roles"], env=stack.env,
                           cwd=REPO, capture_output=True, text=True, timeout=600)
    if roles.returncode != 0:
        raise StackError(f"python -m operators.desk_roles failed:\n{(roles.stdout + roles.stderr)[-2000:]}")
    steps = [
             ("users", "create", "--username", ADMIN_USER, "--password", stack.admin_password, "--role", "Admin",
              "--firstname", "Peak", "--lastname", "Trade", "--email", "admin@peaktrade.invalid"),
             ("pools", "set", "duckdb", "1", "DuckDB warehouse file: one task at a time")]
    for step in steps:
        done = stack.airflow(*step)
        if done.returncode != 0:
            shown = " ".join(step[:2])  # never the password
            raise StackError(f"airflow {shown} failed:\n{(done.stdout + done.stderr)[-2000:]}")


@contextmanager
def scaleout_stack(root: Path, **options) -> Iterator[Stack]:
    """start_stack(...) that is stopped on exit, also when the body raises."""
    stack = start_stack(root, **options)
    try:
        yield stack
    finally:
        stack.stop()


def _down(root: Path) -> int:
    state_file = root / "stack.json"
    if not state_file.is_file():
        print(f"no stack under {root} (no stack.json)", file=sys.stderr)
        return 1
    state = json.loads(state_file.read_text())
    groups = {int(pid): ticks for pid, ticks in state["started"].items()}
    _stop_groups(groups)
    for database in (state["metadata_db"], state["ledger_db"]):
        _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _flush_redis(state["redis_db"])
    state_file.unlink()
    print(f"stopped {len(groups)} process group(s), dropped {state['metadata_db']} and {state['ledger_db']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.scaleout", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("--root", type=Path, default=REPO / "airflow_home" / "scaleout",
                        help="home, logs and stack.json (default: airflow_home/scaleout)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the shared data directory (default: PEAKTRADE_DATA_DIR, else the config's)")
    parser.add_argument("--redis-db", type=int, default=1)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.action == "down":
        return _down(root)
    if (root / "stack.json").is_file() and not json.loads((root / "stack.json").read_text())["stopped"]:
        print(f"a stack is already up under {root}: python -m scripts.scaleout down first", file=sys.stderr)
        return 1
    data_dir = args.data_dir or os.environ.get("PEAKTRADE_DATA_DIR")
    if data_dir is None:
        from include.config.loader import data_dir as config_data_dir, load_config
        data_dir = config_data_dir(load_config())
    stack = start_stack(root, data_dir=Path(data_dir), redis_db=args.redis_db)
    atexit.unregister(stack.stop)  # `up` leaves it running; `down` stops it
    print(f"Airflow (CeleryExecutor, workers {', '.join(stack.workers)}): {stack.api_url}\n"
          f"user: {ADMIN_USER}  password: {stack.admin_password}\n"
          f"data: {stack.env['PEAKTRADE_DATA_DIR']}  ledger: PostgreSQL database {stack.ledger_db}\n"
          f"logs: {root / 'logs'}  stop: python -m scripts.scaleout down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
