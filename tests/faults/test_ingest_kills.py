"""Ingest tasks SIGKILLed and retried lose nothing (tests/faults/ingest_soak.py has the scenario).

make test: at least 12 random kills (about four runs), enough for land, validate and publish each
to be killed, on timers and at write boundaries; then kills at the exact points where earlier code
lost data or left files behind. `make soak` runs the same scenario and draws until 1,000 kills
(benchmarks/soak_ingest.py).
"""
from __future__ import annotations

import pytest

from tests.faults.ingest_soak import IngestSoak, Kill, summarize

CI_KILLS = 12  # make soak: 1,000 (benchmarks/soak_ingest.py)
KILLS_PER_RUN = 8


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    return IngestSoak(tmp_path_factory.mktemp("ingest-soak"))


def test_the_clean_run_has_what_the_kills_put_at_risk(soak):
    """Rewrites of files holding earlier candles, gap records and real quarantines: the soak is not vacuous."""
    raw = soak.reference["raw"]
    assert any("timeframe=1h/period=2026-11" in path for path in raw)  # a month file the run rewrites
    assert any("timeframe=1m/period=2026-11-18" in path for path in raw)  # a day the seed held part of
    assert soak.reference["gaps"]
    quarantined = [p for p in soak.reference["quarantine"] if p.endswith(".json")]
    assert any(p.endswith("/seed.json") for p in quarantined) and any("scheduled__soak" in p for p in quarantined)
    assert [o.state for o in soak.reference_outcomes] == ["success"] * len(soak.steps)


def test_random_kills_of_land_validate_and_publish_lose_nothing(soak):
    results, number = [], 0
    while sum(len(r.kills) for r in results) < CI_KILLS:
        results.append(soak.run(number, KILLS_PER_RUN))
        number += 1
    summary = summarize(results)
    assert summary["kills_delivered"] >= CI_KILLS
    assert set(summary["kills_by_task"]) == {"land", "validate", "publish"}
    assert set(summary["kills_by_kind"]) == {"timer", "point"}
    assert summary["failures"] == []


def _killed_at(soak, number, *points):
    """Run `number` with one kill at each (task, pattern, side[, last]): the clean run's write boundary of `task`
    whose trace matches `pattern` (the first, or the last if `last`), killed `side` of it."""
    kills = []
    for task, pattern, side, *last in points:
        step, at = soak.boundary(task, pattern, last=bool(last and last[0]))
        kills.append(Kill(step, "point", at=at, side=side))
    outcome = soak.run_with(number, kills)
    assert len(outcome.kills) == len(kills), outcome
    return outcome


def test_a_publish_killed_after_it_finished_reports_the_same_run_when_retried(soak):
    # the landing area was gone: the retry found no verdicts, overwrote the run's results with none and failed
    # after its last rename (the data-quality index): the unlink that follows only tidies a temp name that
    # is already gone, and a kill hook placed "after" an operation that raised never fires
    outcome = _killed_at(soak, 1001, ("publish", r"^replace ", "after", True))
    assert outcome.problems == []


def test_a_gate_killed_writing_its_verdict_and_a_publish_killed_before_renaming_a_raw_file_leave_no_temporary(soak):
    # two steps of one run (validate, then publish): each kill point costs a whole run otherwise
    outcome = _killed_at(soak, 1002, ("validate", r"^open \S+/verdicts/\S+\.tmp", "after"),
                         ("publish", r"^replace \S+/\.candles\.parquet\.\w+\.tmp \S+/raw/", "before"))
    assert outcome.problems == []


def test_a_publish_killed_after_moving_a_gap_record_keeps_the_record(soak):
    # the retry took the missing landing gap file for a day re-landed without gaps and deleted the record
    outcome = _killed_at(soak, 1003, ("publish", r"^replace \S+/landing/\S+/gaps\.parquet ", "after"))
    assert outcome.problems == []
