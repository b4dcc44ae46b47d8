"""Soak: thousands of random fault sequences through full rebalances on the emulator (`make soak`).

    .venv/bin/python -m benchmarks.soak                    # 2,000 sequences: 0..1999
    .venv/bin/python -m benchmarks.soak --sequences 500 --first 2000
    .venv/bin/python -m benchmarks.soak --replay 1234      # one sequence again, its problems printed

Sequence N is tests/execution/fault_sequences.sequence_from_seed(N): the same faults, crashes,
kill-switch flips and targets on every machine, so a failure is replayed from its number. Each is
checked against the invariants of tests/execution/test_fault_sequences.py (which runs 50 in make test).

Writes benchmarks/results/soak.json: sequences run and passed, the faults the emulator injected by
kind, the crashes by kind, kill-switch flips, how the runs ended, the step failures (task retries)
by exception, and every failure with its sequence number, problems and replay command.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter

from benchmarks.common import command_info, machine_info, utc_now, write_result
from tests.execution.fault_sequences import TASK_RETRIES, describe, run_sequence, sequence_from_seed, sequence_venue

DEFAULT_SEQUENCES = 2000
REPLAY = ".venv/bin/python -m benchmarks.soak --replay {n}"


def soak(first: int, count: int, *, progress_every: int = 100) -> dict:
    faults, crashes, runs, step_failures = Counter(), Counter(), Counter(), Counter()
    flips = orders = requests = 0
    failures, durations = [], []
    began = time.perf_counter()
    with sequence_venue() as venue:
        for n in range(first, first + count):
            t0 = time.perf_counter()
            try:
                outcome = run_sequence(venue, sequence_from_seed(n))
            except Exception as exc:  # noqa: BLE001 - the driver itself broke: a failure to replay, not a stop
                failures.append({"sequence": n, "problems": [f"driver error: {type(exc).__name__}: {exc}"],
                                 "replay": REPLAY.format(n=n)})
                continue
            durations.append(time.perf_counter() - t0)
            faults.update(outcome.faults)
            crashes.update(c.kind for c in outcome.crashes)
            runs.update(r if not r.startswith("failed") else "failed (retries exhausted)" for r in outcome.runs)
            step_failures.update(outcome.step_failures)
            flips += outcome.kill_switch_flips
            orders += outcome.orders_accepted
            requests += outcome.create_requests
            if not outcome.ok:
                failures.append({"sequence": n, "fault_seed": outcome.sequence.seed, "problems": outcome.problems,
                                 "sequence_detail": describe(outcome), "replay": REPLAY.format(n=n)})
                print(f"  FAILED sequence {n}: {outcome.problems[0]}  (replay: {REPLAY.format(n=n)})")
            done = n - first + 1
            if done % progress_every == 0 or done == count:
                elapsed = time.perf_counter() - began
                print(f"  {done}/{count} sequences, {len(failures)} failed, {elapsed:.0f} s "
                      f"(ETA {elapsed / done * (count - done):.0f} s)", flush=True)
    ran = len(durations)
    return {
        "parameters": {"first_sequence": first, "sequences": count, "task_retries": TASK_RETRIES},
        "sequences_run": ran, "sequences_passed": ran - sum(1 for f in failures if "fault_seed" in f),
        "failures": failures,
        "faults_injected_by_kind": dict(sorted(faults.items())), "faults_injected_total": sum(faults.values()),
        "crashes_by_kind": dict(sorted(crashes.items())), "kill_switch_flips": flips,
        "runs_by_outcome": dict(sorted(runs.items())), "task_retries_by_exception": dict(sorted(step_failures.items())),
        "create_requests": requests, "orders_accepted": orders,
        "seconds_per_sequence_median": round(sorted(durations)[ran // 2], 3) if ran else None,
        "wall_s": round(time.perf_counter() - began, 1),
    }


def replay(n: int) -> int:
    with sequence_venue() as venue:
        outcome = run_sequence(venue, sequence_from_seed(n))
    print(f"sequence {n}: {outcome.sequence}")
    print(describe(outcome))
    print("\n".join(outcome.problems) if outcome.problems else "all invariants hold")
    return 0 if outcome.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=DEFAULT_SEQUENCES, help="how many (default 2000)")
    parser.add_argument("--first", type=int, default=0, help="the first sequence number (default 0)")
    parser.add_argument("--replay", type=int, metavar="N", help="run sequence N alone and print its problems")
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.replay)
    if args.sequences < 1:
        parser.error(f"--sequences {args.sequences}: valid: a number >= 1")
    # the desk warns of every order the kill switch rejects: hundreds of lines a soak, each one expected
    logging.getLogger("include.execution.desk").setLevel(logging.ERROR)
    started = utc_now()
    print(f"soak: sequences {args.first}..{args.first + args.sequences - 1} through full rebalances on the emulator")
    payload = soak(args.first, args.sequences)
    path = write_result("soak", {"benchmark": "soak", "timestamp": started, "finished": utc_now(),
                                 "command": command_info("benchmarks.soak", "soak"), "machine": machine_info(), **payload})
    print(f"{payload['sequences_run']} sequences run, {payload['sequences_passed']} passed, "
          f"{len(payload['failures'])} failed; {payload['faults_injected_total']} faults injected: "
          + ", ".join(f"{k} {v}" for k, v in payload["faults_injected_by_kind"].items()))
    print(f"crashes {payload['crashes_by_kind']}; kill-switch flips {payload['kill_switch_flips']}; "
          f"runs {payload['runs_by_outcome']}")
    for failure in payload["failures"]:
        print(f"  sequence {failure['sequence']}: {failure['problems'][0]}\n    replay: {failure['replay']}")
    print(f"wrote {path}")
    return 1 if payload["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
