"""`airflow <command>` in a subprocess with its own AIRFLOW_HOME, SQLite database, config and data.

The DAG-run tests use it so a run never touches the user's Airflow or data: each
test module gets a root folder holding config.yaml, home/, airflow.db, data/ and
reports/. The metadata database is a copy of one migrated once per session (a
`db migrate` costs about 10 s of CPU): a fresh database, just not migrated again.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO
from tests.session_cache import built_once

AIRFLOW = f"{REPO}/.venv/bin/airflow"


def free_port() -> int:
    """A loopback port nothing listens on now (for an api-server the test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, every: float = 3.0):
    """predicate()'s first truthy value, polled every `every` s; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate the started components, then kill any that outlive 30 s."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class IsolatedAirflow:
    root: Path
    env: dict[str, str]
    prelude: str  # bash: source the project's settings and point Airflow at root

    def __call__(self, command: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", f"{self.prelude} && {AIRFLOW} {command}"], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start(self, component: str) -> subprocess.Popen:
        """A long-running Airflow component (scheduler, api-server ...), logging to root/<name>.log."""
        log = open(self.root / f"{component.split()[0]}.log", "w")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(["bash", "-c", f"{self.prelude} && exec {AIRFLOW} {component}"], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)


def isolated_airflow(root: Path, config: str, *exports: str, **env: str) -> IsolatedAirflow:
    """Write `config` to root/config.yaml and give root a freshly migrated metadata database. `exports`:
    extra bash `export ...` lines; `env`: extra environment variables (e.g. an AIRFLOW_CONN_...)."""
    (root / "config.yaml").write_text(textwrap.dedent(config))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PEAKTRADE"))}
    clean.update(PEAKTRADE_ROOT=str(REPO), PEAKTRADE_CONFIG=str(root / "config.yaml"),
                 PEAKTRADE_DATA_DIR=str(root / "data"), PEAKTRADE_REPORTS_DIR=str(root / "reports"), **env)
    airflow = IsolatedAirflow(root, clean, _prelude(root, exports))
    if any("AIRFLOW__DATABASE__" in line for line in exports):  # another database: migrate it here
        migrated = airflow("db migrate")
        assert migrated.returncode == 0, migrated.stderr[-2000:]
    else:
        shutil.copyfile(_migrated_template(exports, clean) / "airflow.db", root / "airflow.db")
    return airflow


def _prelude(root: Path, exports) -> str:
    """bash: the project's Airflow settings, then AIRFLOW_HOME and the SQLite database under root."""
    return " && ".join([
        f'source "{REPO}/.airflow.env"',
        f'export AIRFLOW_HOME="{root}/home" AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///{root}/airflow.db"',
        *exports,
    ])


def _migrated_template(exports, env: dict[str, str]) -> Path:
    """A folder holding airflow.db after `airflow db migrate`, one per session for each auth manager
    setting (the export lines that name one, verbatim: FAB brings its own tables)."""
    settings = [line for line in exports if "AIRFLOW__CORE__AUTH_MANAGER=" in line]
    key = hashlib.sha256("\n".join(settings).encode()).hexdigest()[:12]

    def migrate(folder: Path) -> None:
        done = IsolatedAirflow(folder, env, _prelude(folder, settings))("db migrate")
        assert done.returncode == 0, done.stderr[-2000:]

    return built_once(f"airflow-db-{key}", migrate)
