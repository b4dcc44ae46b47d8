"""One ingest task in its own process, as Airflow's task runner runs it, and SIGKILL for it.

The child calls the operator's own callable (operators/ingest_tasks.py: land, validate,
publish) under a task context, so it runs exactly the code an Airflow worker runs for the
task; only the supervisor around it (XCom push, state reporting) is the soak's. Children
fork from a forkserver that imported the task modules once, so a task starts in
milliseconds instead of the seconds Airflow, pandas and Great Expectations take to import.

    outcome = run_task("land", job, env, kill_after_s=0.03)     # SIGKILL on a timer
    outcome = run_task("publish", jobs, env, kill_at=7)         # SIGKILL at its 7th write boundary
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing.connection import wait
from types import SimpleNamespace

# Preloaded by the forkserver: every child starts with these imported.
import great_expectations  # noqa: F401 - the gate's import, the slowest one
from airflow.sdk.exceptions import AirflowSkipException
from airflow.sdk.execution_time.context import set_current_context

import include.validation.gate  # noqa: F401
import include.validation.publish  # noqa: F401
from include.checked_config import load_checked_config
from include.ingest import plan_incremental
from operators import ingest_tasks
from tests.faults.kill_points import Boundaries

TASKS = {"land": ingest_tasks.land, "validate": ingest_tasks.validate, "publish": ingest_tasks.publish}
TASK_TIMEOUT_S = 300  # a task that hangs is a failure of its own, not a reason to hang the soak
_context = None


@dataclass
class TaskOutcome:
    state: str  # success | skipped | failed | killed
    value: object = None  # the task's return value (its XCom), or the exception's text
    boundaries: int = 0  # write boundaries the task passed (0 when killed)
    trace: list[str] | None = None  # what each boundary was (tests/faults/kill_points.py)
    seconds: float = 0.0


def run_task(task: str, argument, env: dict[str, str], log_path: str, *, kill_at: int | None = None,
             side: str = "before", kill_after_s: float | None = None) -> TaskOutcome:
    """Run TASKS[task](argument) in a fresh process; SIGKILL it at a boundary or after a delay."""
    ctx = _forkserver()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(task, argument, env, log_path, kill_at, side, send), daemon=True)
    began = time.perf_counter()
    child.start()
    send.close()
    if kill_after_s is not None and not wait([child.sentinel], kill_after_s):
        os.kill(child.pid, signal.SIGKILL)
    message = None
    if wait([receive, child.sentinel], TASK_TIMEOUT_S) and receive.poll(0):
        try:
            message = receive.recv()
        except EOFError:  # killed before it reported
            message = None
    child.join(TASK_TIMEOUT_S)
    seconds = time.perf_counter() - began
    if child.is_alive():
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        return TaskOutcome("failed", f"{task} did not finish within {TASK_TIMEOUT_S} s", 0, seconds=seconds)
    receive.close()
    if child.exitcode == -signal.SIGKILL:
        return TaskOutcome("killed", None, 0, seconds=seconds)
    if message is None:
        return TaskOutcome("failed", f"{task} exited with code {child.exitcode} without a result", 0, seconds=seconds)
    return TaskOutcome(message["state"], message["value"], message["boundaries"], message["trace"], seconds)


def plan(env: dict[str, str], now, log_path: str) -> list[dict]:
    """The incremental plan for a pinned `now` (the plan task reads the wall clock), in a process of its own."""
    outcome = run_task("plan", now, env, log_path)
    if outcome.state != "success":
        raise RuntimeError(f"plan ended {outcome.state}: {outcome.value}; log {log_path}")
    return outcome.value


def _plan(now) -> list[dict]:
    return plan_incremental(load_checked_config(), now)


def _forkserver():
    global _context
    if _context is None:
        _context = mp.get_context("forkserver")
        _context.set_forkserver_preload([__name__])
    return _context


def _child(task, argument, env, log_path, kill_at, side, send) -> None:
    os.environ.update(env)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {task} %(name)s %(levelname)s %(message)s", force=True)
    boundaries = Boundaries(kill_at, side).install()
    # What the operators read from Airflow's context; outlet_events takes publish's asset extra.
    context = {"run_id": env["SOAK_RUN_ID"], "params": {}, "outlet_events": defaultdict(SimpleNamespace)}
    with set_current_context(context):
        try:
            call = _plan if task == "plan" else TASKS[task].function
            message = {"state": "success", "value": call(argument)}
        except AirflowSkipException as exc:
            message = {"state": "skipped", "value": str(exc)}
        except Exception as exc:  # noqa: BLE001 - reported to the soak as the task's failure
            logging.exception("%s failed", task)
            message = {"state": "failed", "value": f"{type(exc).__name__}: {exc}"}
    message["boundaries"], message["trace"] = boundaries.count, boundaries.trace
    send.send(message)
    send.close()
