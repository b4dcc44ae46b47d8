"""The launcher stops what it started, whole process groups, and nothing else (no Airflow needed)."""
import os
import signal
import subprocess
import time

from scripts.scaleout import _group_members, _our_groups, _start_ticks, _stop_groups


def start_group() -> subprocess.Popen:
    # A leader with a child of its own, like a Celery worker and the task process it forked.
    return subprocess.Popen(["bash", "-c", "sleep 300 & wait"], start_new_session=True)


def test_stopping_ends_the_leader_and_its_children():
    proc = start_group()
    leaders = {proc.pid: _start_ticks(proc.pid)}
    deadline = time.monotonic() + 10
    while len(_group_members({proc.pid})) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_group_members({proc.pid})) == 2
    _stop_groups(leaders)
    proc.wait(timeout=10)
    assert _group_members({proc.pid}) == []


def test_a_pid_now_held_by_another_process_is_not_ours():
    proc = start_group()
    try:
        # The recorded start time differs: the PID was reused by someone else's process group.
        leaders = {proc.pid: _start_ticks(proc.pid) - 1}
        assert _our_groups(leaders) == set()
        _stop_groups(leaders)
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
