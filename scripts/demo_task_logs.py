"""Give the UI the task logs of an `airflow dags test` run: one file per task attempt where the UI reads them.

    source scripts/airflow_home.sh && python scripts/demo_task_logs.py <captured dags-test output> ...
    python scripts/demo_task_logs.py --failed <captured output>    # the task ids that failed in that run

`airflow dags test` runs every task in its own process and prints the task logs to its output
only, so in the UI those runs showed no logs (the api-server looked for files under
[logging] base_log_folder, then asked a worker's log server that never ran). This splits the
captured output at dags test's "[DAG TEST] starting task_id=... / end task task_id=..." lines
and writes each part to the file the UI reads for that task instance and attempt
(FileTaskHandler's file name template). Lines outside a task (the test loop) are left out.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
END = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
RUNNING = re.compile(r"\[DAG TEST\] running task <TaskInstance: (\S+?)\.(\S+) (\S+) ")


def task_sections(lines: list[str]) -> tuple[dict[tuple[str, int], list[list[str]]], tuple[str, str] | None]:
    """{(task_id, map_index): [the lines of each attempt]} and (dag_id, run_id) of the run."""
    sections: dict[tuple[str, int], list[list[str]]] = defaultdict(list)
    current: list[str] | None = None
    run = None
    for line in lines:
        if (start := START.search(line)) is not None:
            current = []
            sections[(start.group(1), int(start.group(2)))].append(current)
            continue
        if END.search(line):
            current = None
            continue
        if (running := RUNNING.search(line)) is not None:
            run = run or (running.group(1), running.group(3))
            continue
        if current is not None:
            current.append(line)
    return sections, run


def write_task_logs(captured: Path) -> list[Path]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.log.file_task_handler import FileTaskHandler
    from airflow.utils.session import create_session

    from airflow.configuration import conf

    sections, run = task_sections(captured.read_text(errors="replace").splitlines(keepends=True))
    if run is None:
        return []
    dag_id, run_id = run
    base = Path(conf.get("logging", "base_log_folder"))
    handler = FileTaskHandler(base_log_folder=str(base))
    written = []
    with create_session() as session:
        for (task_id, map_index), attempts in sections.items():
            ti = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id,
                                                       map_index=map_index).one_or_none()
            if ti is None:
                continue
            first = max(1, ti.try_number - len(attempts) + 1)  # the last part is the attempt the TI records
            for number, lines in enumerate(attempts, start=first):
                path = base / handler._render_filename(ti, number)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(lines))
                written.append(path)
    return written


def failed_tasks(captured: Path) -> list[str]:
    """The task ids that failed in the run of this captured output."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    _, run = task_sections(captured.read_text(errors="replace").splitlines(keepends=True))
    if run is None:
        return []
    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=run[0], run_id=run[1], state="failed").all()
        return sorted({ti.task_id for ti in tis})


if __name__ == "__main__":
    if sys.argv[1] == "--failed":  # demo.sh: which tasks failed in this run
        print(" ".join(failed_tasks(Path(sys.argv[2]))))
        sys.exit(0)
    files = [f for captured in sys.argv[1:] for f in write_task_logs(Path(captured))]
    print(f"{len(files)} task logs written where the Airflow UI reads them")
