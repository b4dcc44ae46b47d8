"""What the benchmarks share: paths, environments, machine info, workers, results."""
from __future__ import annotations

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
DEFAULT_TMP_PARENT = ROOT / "benchmarks" / "tmp"  # git-ignored
PACKAGES = ("apache-airflow", "great-expectations", "pandas", "pyarrow", "numpy", "ccxt", "pydantic")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def base_env(data_dir: Path, config: Path) -> dict[str, str]:
    """The caller's environment, pointed at a temporary data dir and config."""
    env = dict(os.environ)
    env.update(
        PEAKTRADE_ROOT=str(ROOT),
        PEAKTRADE_DATA_DIR=str(data_dir),
        PEAKTRADE_CONFIG=str(config),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    )
    return env


def airflow_env(airflow_home: Path) -> dict[str, str]:
    """.airflow.env sourced (again: it is idempotent), then AIRFLOW_HOME and the DB moved to a temp dir."""
    script = f"export PEAKTRADE_ROOT={shlex.quote(str(ROOT))}; source {shlex.quote(str(ROOT / '.airflow.env'))}; env -0"
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True, env=dict(os.environ)).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    env["AIRFLOW_HOME"] = str(airflow_home)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{airflow_home / 'airflow.db'}"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_worker(module: str, args: list[str], env: dict[str, str], out: Path, log: Path, timeout: float = 900) -> dict:
    """`python -m <module> <args> --out <out>` in a fresh process; its JSON result."""
    cmd = [sys.executable, "-m", module, *args, "--out", str(out)]
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); last lines of {log}:\n{tail(log)}")
    return json.loads(out.read_text())


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def command_info(module: str = "benchmarks.run", target: str = "bench") -> dict:
    """The exact command this run was started with, and how to reproduce it (`make <target>`)."""
    argv = [sys.executable, "-m", module, *sys.argv[1:]]
    info = {
        "command": " ".join(shlex.quote(a) for a in argv),
        "cwd": os.getcwd(),
        "reproduce": f"cd {shlex.quote(str(ROOT))} && PEAKTRADE_ROOT={shlex.quote(str(ROOT))} make {target}",
    }
    if os.environ.get("MAKELEVEL"):
        info["invoked_via"] = f"make {target}"
    return info


def machine_info() -> dict:
    import psutil

    freq = psutil.cpu_freq()
    info = {
        "cpu_count": os.cpu_count(),
        "cpu_count_physical": psutil.cpu_count(logical=False),
        "cpu_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "cpu_max_mhz": round(freq.max, 1) if freq and freq.max else None,
        "memory_total_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "git": _git(),
    }
    return info


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict | None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.CalledProcessError):
        return None


def write_result(name: str, payload: dict) -> Path:
    """benchmarks/results/<name>.json, replaced atomically so a rerun overwrites it."""
    from include.atomic import write_text_atomic

    return write_text_atomic(json.dumps(payload, indent=2, default=str) + "\n", RESULTS_DIR / f"{name}.json")


def write_yaml(path: Path, data: dict) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
