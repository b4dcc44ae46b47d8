"""The ingest kill soak: incremental runs whose land, validate and publish tasks are SIGKILLed and retried.

One scenario, many runs. A seed data directory holds one published ingest (run `seed`): raw
candles, gap records, quarantined days and Data Docs. Every run copies it and runs the next
incremental ingest on the offline simulator, with `now` pinned, task by task in processes of
their own (tests/faults/task_process.py): land and validate per series, then publish. A run's
kill schedule (drawn from its number, so a failure replays) SIGKILLs some task attempts, on a
timer or at a write boundary; a killed attempt is retried as Airflow retries a task, with the
same input, until it completes. The finished run is then compared with a run nobody killed:

* raw: the same period files with the same candles (none lost, none duplicated);
* no temporary or half-written file anywhere under the data directory, the landing area gone;
* gaps, quarantine (candles and reasons, the time of quarantine aside) and the run's validation
  results: the same as the clean run's, so quarantine changed only by the run's real failures;
* every task ended as it did in the clean run, publish with the same summary.

The series: sim_alpha BTC/USDT 1h (month files in raw, so a publish rewrites a file holding
earlier days) and sim_gamma BTC/USDT 1m (day files) whose gap tolerance quarantines some days.

Used by tests/faults/test_ingest_kills.py (make test) and benchmarks/soak_ingest.py (make soak).
"""
from __future__ import annotations

import json
import random
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from tests.faults.task_process import TaskOutcome, plan, run_task

CONFIG = """
universe:
  symbols: [BTC/USDT]
  timeframes: [1h]
  exchanges:
    - {id: sim_alpha, source: sim}
    - {id: sim_gamma, source: sim, timeframes: [1m]}
history: {start: {1h: 3d, 1m: 1d}}
validation:
  gap_ratio_overrides: {"sim_gamma:BTC/USDT": 0.003}   # quarantines some sim_gamma days: real failures
ingest: {task_retries: 1, retries: 1, retry_base_delay_s: 0}
"""
SEED_NOW = datetime(2026, 11, 18, 6, tzinfo=timezone.utc)
RUN_NOW = datetime(2026, 11, 20, 18, tzinfo=timezone.utc)
SEED_RUN, RUN_ID = "seed", "scheduled__soak"
RUN_KEY = "scheduled__soak"  # include.paths.run_key(RUN_ID)
MAX_ATTEMPTS = 6  # per task: kills beyond this would exhaust any sane task_retries
REPLAY = ".venv/bin/python -m benchmarks.soak_ingest --replay {n}"


@dataclass
class Kill:
    step: int  # index into the run's task list
    how: str  # "timer" | "point"
    delay_s: float = 0.0  # timer: seconds after the task process started
    at: int = 0  # point: the n-th write boundary
    side: str = "before"

    def describe(self) -> str:
        return f"timer {self.delay_s * 1000:.0f} ms" if self.how == "timer" else f"boundary {self.at} ({self.side})"


@dataclass
class RunOutcome:
    number: int
    kills: list[dict] = field(default_factory=list)  # delivered: task, attempt, how
    misses: int = 0  # drawn kills the task outlived (finished first, or fewer boundaries on a retry)
    attempts: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


class IngestSoak:
    """The seed data directory, the clean reference run and the runs with kills, under `work`."""

    def __init__(self, work: Path):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.config = self.work / "peak_trade.yaml"
        self.config.write_text(CONFIG)
        self.seed = self.work / "seed"
        self._build_seed()
        self.jobs = plan(self._env(self.seed, "plan"), RUN_NOW, str(self.work / "setup.log"))
        self.steps = self._steps()
        reference = self.work / "reference"
        self.reference_outcomes = self._run_clean(reference)
        self.reference = snapshot(reference, reference)
        shutil.rmtree(reference)

    # ------------------------------------------------------------------ setup

    def _env(self, data: Path, run_id: str) -> dict[str, str]:
        # The data-quality report lives with the run's data: each run starts from the seed's pages, so
        # publish makes the same writes as in the clean run (a shared folder would grow run by run).
        return {"PEAKTRADE_CONFIG": str(self.config), "PEAKTRADE_DATA_DIR": str(data),
                "PEAKTRADE_REPORTS_DIR": str(data / "reports"), "SOAK_RUN_ID": run_id}

    def _build_seed(self) -> None:
        shutil.rmtree(self.seed, ignore_errors=True)
        env = self._env(self.seed, SEED_RUN)
        jobs = plan(env, SEED_NOW, str(self.work / "setup.log"))
        landings = [self._must("land", job, env) for job in jobs]
        for landing in landings:
            self._must("validate", landing, env)
        self._must("publish", jobs, env)

    def _must(self, task: str, argument, env: dict) -> object:
        outcome = run_task(task, argument, env, str(self.work / "setup.log"))
        if outcome.state != "success":
            raise RuntimeError(f"setup: {task} ended {outcome.state}: {outcome.value}; log {self.work / 'setup.log'}")
        return outcome.value

    def _steps(self) -> list[tuple[str, int]]:
        """(task, series index) in the order the run executes them; publish has no series."""
        count = len(self.jobs)
        return [("land", i) for i in range(count)] + [("validate", i) for i in range(count)] + [("publish", -1)]

    def _run_clean(self, data: Path) -> list[TaskOutcome]:
        shutil.copytree(self.seed, data)
        env, landings, outcomes = self._env(data, RUN_ID), {}, []
        for task, i in self.steps:
            outcome = run_task(task, self._argument(task, i, landings, data), env, str(self.work / "reference.log"))
            if outcome.state != "success":
                raise RuntimeError(f"clean run: {task} ended {outcome.state}: {outcome.value}")
            if task == "land":
                landings[i] = outcome.value
            outcomes.append(outcome)
        return outcomes

    def _argument(self, task: str, i: int, landings: dict, data: Path):
        if task == "land":
            return self.jobs[i]
        if task == "validate":
            return landings[i]
        return self.jobs

    # ------------------------------------------------------------------ kills

    def schedule(self, number: int, kills: int) -> list[Kill]:
        """`kills` kills on random tasks of run `number`, each on a timer or at a write boundary."""
        rng = random.Random(number)
        drawn = []
        for _ in range(kills):
            task = rng.choice(["land", "validate", "publish"])  # publish, one task, as often as all lands
            step = rng.choice([n for n, (name, _) in enumerate(self.steps) if name == task])
            clean = self.reference_outcomes[step]
            if rng.random() < 0.5:
                drawn.append(Kill(step, "timer", delay_s=rng.uniform(0.0, clean.seconds)))
            else:
                drawn.append(Kill(step, "point", at=rng.randint(1, clean.boundaries), side=rng.choice(["before", "after"])))
        return drawn

    def boundary(self, task: str, pattern: str, *, last: bool = False) -> tuple[int, int]:
        """(step, n): the first (or last) write boundary of the clean run's `task` whose trace matches `pattern`."""
        for step, (name, _) in enumerate(self.steps):
            if name == task:
                trace = self.reference_outcomes[step].trace
                hits = [n for n, line in enumerate(trace, 1) if re.search(pattern, line)]
                if hits:
                    return step, hits[-1] if last else hits[0]
        raise LookupError(f"no boundary of {task} matches {pattern!r}")

    def run(self, number: int, kills: int, *, keep: bool = False) -> RunOutcome:
        """Run `number`: the incremental ingest with `kills` kills drawn for it, checked against the clean run."""
        return self.run_with(number, self.schedule(number, kills), keep=keep)

    def run_with(self, number: int, schedule: list[Kill], *, keep: bool = False) -> RunOutcome:
        """The incremental ingest with the given kills, checked against the clean run."""
        began = time.perf_counter()
        result = RunOutcome(number)
        data = self.work / f"run-{number}"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(self.seed, data)
        env, log = self._env(data, RUN_ID), str(self.work / f"run-{number}.log")
        pending = {}
        for kill in schedule:
            pending.setdefault(kill.step, []).append(kill)
        landings, outcomes = {}, []
        for step, (task, i) in enumerate(self.steps):
            queue = pending.get(step, [])
            label = task if i < 0 else f"{task}[{self.jobs[i]['label']}]"
            argument = self._argument(task, i, landings, data)
            for attempt in range(1, MAX_ATTEMPTS + 1):
                kill = queue.pop(0) if queue else None
                outcome = run_task(
                    task, argument, env, log,
                    kill_at=kill.at if kill and kill.how == "point" else None, side=kill.side if kill else "before",
                    kill_after_s=kill.delay_s if kill and kill.how == "timer" else None,
                )
                result.attempts += 1
                if outcome.state == "killed":
                    result.kills.append({"task": task, "attempt": attempt, "how": kill.how if kill else "?",
                                         "kill": kill.describe() if kill else "?"})
                    continue
                if kill:
                    result.misses += 1
                break
            else:
                result.problems.append(f"{label}: still killed after {MAX_ATTEMPTS} attempts")
                break
            if outcome.state != self.reference_outcomes[step].state:
                result.problems.append(
                    f"{label}: attempt {attempt} ended {outcome.state} ({outcome.value}) where the clean run's "
                    f"ended {self.reference_outcomes[step].state}; kills so far: {_kills_line(result)}")
                break
            if task == "land":
                landings[i] = outcome.value
            outcomes.append((label, outcome))
        if not result.problems:
            result.problems += self._compare_values(outcomes, data)
            result.problems += compare(self.reference, snapshot(data, data))
        if result.problems and result.kills:
            result.problems.append(f"kills: {_kills_line(result)}")
        if result.ok and not keep:
            shutil.rmtree(data)
            Path(log).unlink(missing_ok=True)
        result.seconds = time.perf_counter() - began
        return result

    def _compare_values(self, outcomes: list[tuple[str, TaskOutcome]], data: Path) -> list[str]:
        """Each task's return value (its XCom) equals the clean run's, paths aside."""
        problems = []
        for (label, outcome), clean in zip(outcomes, self.reference_outcomes):
            got = json.loads(json.dumps(outcome.value).replace(str(data), "<data>"))
            want = json.loads(json.dumps(clean.value).replace(str(self.work / "reference"), "<data>"))
            if got != want:
                problems.append(f"{label} returned {got}, the clean run {want}")
        return problems


def _kills_line(result: RunOutcome) -> str:
    return ", ".join(f"{k['task']} attempt {k['attempt']} ({k['kill']})" for k in result.kills) or "none"


# ---------------------------------------------------------------------- what a finished run leaves


def snapshot(data: Path, root: Path) -> dict:
    """The data directory as the comparison sees it: rows of every Parquet file, reasons, leftovers."""
    every = sorted(p for p in data.rglob("*") if p.is_file())
    files = [p for p in every if not p.name.endswith(".tmp")]
    rel = {p: str(p.relative_to(root)) for p in every}
    view = {
        "temporaries": [rel[p] for p in every if p.name.endswith(".tmp")],
        "landing": [rel[p] for p in files if p.is_relative_to(data / "landing")],
        "raw": {rel[p]: _frame(p) for p in files if p.is_relative_to(data / "raw")},
        "gaps": {rel[p]: _frame(p) for p in files if p.is_relative_to(data / "gaps")},
        "quarantine": {rel[p]: _reason(p) if p.suffix == ".json" else _frame(p)
                       for p in files if p.is_relative_to(data / "quarantine")},
        "verdicts": {rel[p]: json.loads(p.read_text()) for p in files if p.is_relative_to(data / "validation" / "verdicts")},
        "results": {rel[p]: _frame(p).drop(columns="validated_at")
                    for p in files if p.is_relative_to(data / "validation" / "results") and p.suffix == ".parquet"},
        "data_docs": (data / "validation" / "data_docs" / "index.html").is_file(),
    }
    return view


def _frame(path: Path) -> pd.DataFrame | str:
    try:
        return pq.read_table(path).to_pandas()
    except Exception as exc:  # noqa: BLE001 - an unreadable file is a finding, reported by compare
        return f"unreadable: {type(exc).__name__}: {exc}"


def _reason(path: Path) -> dict | str:
    try:
        reason = json.loads(path.read_text())
    except ValueError as exc:
        return f"unreadable: {exc}"
    reason.pop("quarantined_at", None)  # wall-clock time of the quarantine
    return reason


def compare(want: dict, got: dict) -> list[str]:
    problems = [f"half-written or temporary file left: {p}" for p in got["temporaries"]]
    problems += [f"landing area not cleaned up: {p}" for p in got["landing"]]
    if not got["data_docs"]:
        problems.append("Data Docs index missing")
    for area in ("raw", "gaps", "quarantine", "results", "verdicts"):
        problems += _compare_files(area, want[area], got[area])
    return problems


def _compare_files(area: str, want: dict, got: dict) -> list[str]:
    problems = [f"{area}: missing {p}" for p in sorted(set(want) - set(got))]
    problems += [f"{area}: unexpected {p}" for p in sorted(set(got) - set(want))]
    for path in sorted(set(want) & set(got)):
        a, b = want[path], got[path]
        if isinstance(b, str):
            problems.append(f"{area}: {path} {b}")
        elif isinstance(a, pd.DataFrame):
            if area == "raw":
                problems += _candle_problems(path, a, b)
            elif not a.equals(b):
                problems.append(f"{area}: {path} differs from the clean run's ({len(b)} rows, clean {len(a)})")
        elif a != b:
            problems.append(f"{area}: {path} differs from the clean run's: {b} vs {a}")
    return problems


def _candle_problems(path: str, want: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    problems = []
    duplicated = int(got["timestamp"].duplicated().sum())
    if duplicated:
        problems.append(f"raw: {path}: {duplicated} duplicated candles")
    lost = set(want["timestamp"]) - set(got["timestamp"])
    if lost:
        problems.append(f"raw: {path}: {len(lost)} candles lost, first {min(lost)}")
    extra = set(got["timestamp"]) - set(want["timestamp"])
    if extra:
        problems.append(f"raw: {path}: {len(extra)} candles the clean run does not have")
    if not problems and not want.equals(got):
        problems.append(f"raw: {path}: same open times, different values or order than the clean run")
    return problems


def summarize(results: list[RunOutcome]) -> dict:
    kills = [k for r in results for k in r.kills]
    return {
        "runs": len(results),
        "runs_passed": sum(r.ok for r in results),
        "kills_delivered": len(kills),
        "kills_by_task": dict(sorted(Counter(k["task"] for k in kills).items())),
        "kills_by_kind": dict(sorted(Counter(k["how"] for k in kills).items())),
        "kills_of_a_retry": sum(k["attempt"] > 1 for k in kills),
        "drawn_kills_outlived": sum(r.misses for r in results),
        "task_attempts": sum(r.attempts for r in results),
        "failures": [{"run": r.number, "problems": r.problems, "replay": REPLAY.format(n=r.number)}
                     for r in results if not r.ok],
    }
