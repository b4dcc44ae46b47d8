"""`airflow <command>` in a subprocess with its own AIRFLOW_HOME, SQLite database, config and data.

The DAG-run tests use it so a run never touches the user's Airflow or data: each
test module gets a root folder holding config.yaml, home/, airflow.db, data/ and
reports/.
"""
from __future__ import annotations

import os
import socket
import subprocess
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

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
    """Write `config` to root/config.yaml and migrate a fresh metadata database. `exports`: extra
    bash `export ...` lines; `env`: extra environment variables (e.g. an AIRFLOW_CONN_...)."""
    (root / "config.yaml").write_text(textwrap.dedent(config))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PEAKTRADE"))}
    clean.update(PEAKTRADE_ROOT=str(REPO), PEAKTRADE_CONFIG=str(root / "config.yaml"),
                 PEAKTRADE_DATA_DIR=str(root / "data"), PEAKTRADE_REPORTS_DIR=str(root / "reports"), **env)
    prelude = " && ".join([
        f'source "{REPO}/.airflow.env"',
        f'export AIRFLOW_HOME="{root}/home" AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///{root}/airflow.db"',
        *exports,
    ])
    airflow = IsolatedAirflow(root, clean, prelude)
    migrated = airflow("db migrate")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    return airflow
