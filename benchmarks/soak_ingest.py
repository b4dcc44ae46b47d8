"""Soak: ingest tasks and the warehouse build SIGKILLed at random points, retried, nothing lost (`make soak`).

    .venv/bin/python -m benchmarks.soak_ingest                       # 1,000 kills of land/validate/publish, 3 of dbt build
    .venv/bin/python -m benchmarks.soak_ingest --kills 200 --warehouse-kills 0
    .venv/bin/python -m benchmarks.soak_ingest --replay 17           # run 17 again, its problems printed, files kept

Ingest (tests/faults/ingest_soak.py): incremental runs on the offline simulator, each with
--per-run kills drawn from its run number (a timer or a write boundary, on land, validate or
publish, a retry killed again too), every killed task retried until it completes; each finished
run is compared with a run nobody killed (raw candles, gap records, quarantine, results, no
temporary file left). Runs go on until --kills kills were delivered.

Warehouse (tests/faults/warehouse_kill.py): the warehouse_build producer's `dbt build` killed
after an incremental model starts (or on a timer), then run again; every table equals an
uninterrupted build's.

Writes benchmarks/results/soak_ingest.json (kills delivered by task and kind, runs, failures with
their replay commands, seconds per run) and benchmarks/results/soak_warehouse.json (each build kill,
the model it hit, whether the rebuild equals the clean build), each only for a part that ran.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DEFAULT_TMP_PARENT, command_info, machine_info, utc_now, write_result
from tests.faults.ingest_soak import IngestSoak, summarize

DEFAULT_KILLS = 1000
DEFAULT_PER_RUN = 8
DEFAULT_WAREHOUSE_KILLS = 3


def ingest_soak(work: Path, kills: int, per_run: int, *, progress_every: int = 10, header: dict | None = None) -> dict:
    """Runs until `kills` kills were delivered; every `progress_every` runs the figures so far go to the result file."""
    began = time.perf_counter()
    soak = IngestSoak(work / "ingest")
    setup_s = time.perf_counter() - began
    results, number, delivered = [], 0, 0
    while delivered < kills:
        outcome = soak.run(number, per_run)
        results.append(outcome)
        delivered += len(outcome.kills)
        if not outcome.ok:
            print(f"  FAILED run {number}: {outcome.problems[0]}  (replay: .venv/bin/python -m benchmarks.soak_ingest "
                  f"--replay {number})", flush=True)
        number += 1
        if number % progress_every == 0 or delivered >= kills:
            elapsed = time.perf_counter() - began
            print(f"  ingest: {number} runs, {delivered}/{kills} kills, {sum(not r.ok for r in results)} failed, "
                  f"{elapsed:.0f} s", flush=True)
            if header is not None and delivered < kills:  # a soak stopped early still leaves its figures
                write_result("soak_ingest", {**header, "complete": False, **_figures(soak, results, kills, per_run,
                                                                                       setup_s, began)})
    return {"complete": True, **_figures(soak, results, kills, per_run, setup_s, began)}


def _figures(soak: IngestSoak, results: list, kills: int, per_run: int, setup_s: float, began: float) -> dict:
    seconds = sorted(r.seconds for r in results)
    return {
        "parameters": {"kills": kills, "kills_drawn_per_run": per_run},
        **summarize(results),
        "clean_run_task_seconds": {f"{task}{'' if i < 0 else f'[{i}]'}": round(o.seconds, 3)
                                   for (task, i), o in zip(soak.steps, soak.reference_outcomes)},
        "setup_s": round(setup_s, 1),
        "seconds_per_run_median": round(seconds[len(seconds) // 2], 2) if seconds else None,
        "wall_s": round(time.perf_counter() - began, 1),
    }


def warehouse_soak(work: Path, kills: int, seed: int = 0) -> dict:
    from tests.faults.warehouse_kill import BUILD, INCREMENTAL, copy_of, differences, kill_build, prepare, tables
    from include.warehouse.dbt_runner import run_dbt

    began = time.perf_counter()
    rng = random.Random(seed)
    stage = prepare(work / "warehouse", BUILD)
    clean = copy_of(stage, work / "warehouse" / "clean")
    t0 = time.perf_counter()
    run_dbt(BUILD, clean)
    build_s = time.perf_counter() - t0
    want = tables(clean)
    outcomes = []
    for n in range(kills):
        killed = copy_of(stage, work / "warehouse" / "killed")
        if rng.random() < 0.75:
            model, delay = rng.choice(INCREMENTAL), rng.uniform(0.0, 1.0)
        else:
            model, delay = None, rng.uniform(0.0, build_s)
        hit = kill_build(killed, BUILD, model=model, delay_s=delay)
        t0 = time.perf_counter()
        try:
            run_dbt(BUILD, killed)
            problems = differences(want, tables(killed))
        except Exception as exc:  # noqa: BLE001 - a rebuild that fails is the finding
            problems = [f"the rebuild failed: {type(exc).__name__}: {exc}"]
        outcomes.append({"kill": n, "how": hit.how, "model": model, "delay_s": round(delay, 2), "killed": hit.killed,
                         "last_model_started": hit.started[-1] if hit.started else None,
                         "rebuild_s": round(time.perf_counter() - t0, 1), "problems": problems})
        print(f"  warehouse kill {n}: {hit.how} {model or ''} +{delay:.2f} s, killed={hit.killed} during "
              f"{hit.started[-1] if hit.started else '(startup)'}: {'ok' if not problems else problems[0]}", flush=True)
    return {
        "kills_delivered": sum(o["killed"] for o in outcomes),
        "rebuilds_equal_to_clean": sum(not o["problems"] for o in outcomes),
        "clean_build_s": round(build_s, 1),
        "tables_compared": len(want),
        "kills": outcomes,
        "wall_s": round(time.perf_counter() - began, 1),
    }


def replay(n: int, per_run: int) -> int:
    work = Path(tempfile.mkdtemp(prefix="soak-ingest-replay-", dir=_tmp_parent()))
    soak = IngestSoak(work)
    outcome = soak.run(n, per_run, keep=True)
    print(f"run {n}: kills {outcome.kills}; files in {work}")
    print("\n".join(outcome.problems) if outcome.problems else "nothing lost, nothing left behind")
    return 0 if outcome.ok else 1


def _tmp_parent() -> Path:
    DEFAULT_TMP_PARENT.mkdir(parents=True, exist_ok=True)
    return DEFAULT_TMP_PARENT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=DEFAULT_KILLS, help=f"ingest task kills (default {DEFAULT_KILLS})")
    parser.add_argument("--per-run", type=int, default=DEFAULT_PER_RUN, help=f"kills drawn per run (default {DEFAULT_PER_RUN})")
    parser.add_argument("--warehouse-kills", type=int, default=DEFAULT_WAREHOUSE_KILLS,
                        help=f"dbt build kills (default {DEFAULT_WAREHOUSE_KILLS}; each costs two builds)")
    parser.add_argument("--replay", type=int, metavar="N", help="run N alone, print its problems, keep its files")
    args = parser.parse_args(argv)
    if args.per_run < 1:
        parser.error(f"--per-run {args.per_run}: valid: a number >= 1")
    if args.replay is not None:
        return replay(args.replay, args.per_run)
    if args.kills < 0 or args.warehouse_kills < 0:
        parser.error("--kills and --warehouse-kills: valid: numbers >= 0")
    started = utc_now()
    header = {"benchmark": "soak_ingest", "timestamp": started, "command": command_info("benchmarks.soak_ingest", "soak"),
              "machine": machine_info()}
    work = Path(tempfile.mkdtemp(prefix="soak-ingest-", dir=_tmp_parent()))
    print(f"soak_ingest: {args.kills} kills of ingest tasks, {args.warehouse_kills} of the warehouse build; work in {work}")
    try:
        ingest = ingest_soak(work, args.kills, args.per_run, header=header) if args.kills else None
        warehouse = warehouse_soak(work, args.warehouse_kills) if args.warehouse_kills else None
    finally:
        failed = (ingest and ingest["failures"]) or (warehouse and warehouse["rebuilds_equal_to_clean"] < args.warehouse_kills)
        if not failed:
            shutil.rmtree(work, ignore_errors=True)
    paths = [write_result(name, {"benchmark": name, "timestamp": started, "finished": utc_now(),
                                 "command": command_info("benchmarks.soak_ingest", "soak"), "machine": machine_info(),
                                 **part})
             for name, part in (("soak_ingest", ingest), ("soak_warehouse", warehouse)) if part]
    if ingest:
        print(f"ingest: {ingest['kills_delivered']} kills in {ingest['runs']} runs ({ingest['kills_by_task']}, "
              f"{ingest['kills_by_kind']}, {ingest['kills_of_a_retry']} of a retry); {ingest['runs_passed']} runs "
              f"lost nothing; {ingest['wall_s']} s")
    if warehouse:
        print(f"warehouse: {warehouse['kills_delivered']} builds killed, {warehouse['rebuilds_equal_to_clean']} "
              f"rebuilds equal to the clean build ({warehouse['tables_compared']} tables); {warehouse['wall_s']} s")
    print(f"wrote {', '.join(map(str, paths))}" + (f"; failing files kept in {work}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
