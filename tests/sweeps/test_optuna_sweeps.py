"""TPE and NSGA-II sweeps: chunks share one Optuna study through a journal file."""
from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from include.sweeps import best, collect, pareto_front, plan_chunks, run_chunk
from include.sweeps.study import journal_storage
from tests.sweeps.support import frames, spec

SPACE = {"fast": {"low": 4, "high": 30, "step": 2}, "slow": {"low": 20, "high": 100, "step": 10},
         "kind": "sma", "mode": "long_only"}


def load(out, chunk):
    return optuna.load_study(study_name=chunk.study, storage=journal_storage(out, chunk.study))


@pytest.fixture(scope="module")
def tpe_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tpe")
    sweep = spec(method="tpe", params=SPACE, budget=12, chunk_size=6, seed=3)
    chunks = plan_chunks(sweep, 1)
    for chunk in chunks:
        run_chunk(sweep, chunk, frames(), out)
    return sweep, chunks, out


def test_tpe_chunks_add_up_in_one_journal_study(tpe_run):
    sweep, chunks, out = tpe_run
    assert len(chunks) == 2
    results = collect(out, sweep)
    study = load(out, chunks[0])
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(results) == len(complete) == 12
    assert sorted(results["trial"]) == sorted(t.number for t in complete)
    by_chunk = {c.chunk_id: sum(t.user_attrs["chunk_id"] == c.chunk_id for t in complete) for c in chunks}
    assert by_chunk == {c.chunk_id: 6 for c in chunks}
    values = dict(zip(results["trial"], results["sharpe_ratio"]))
    assert all(t.values[0] == pytest.approx(values[t.number]) for t in complete)


def test_tpe_finds_at_least_the_grids_median(tpe_run, tmp_path):
    sweep, _, out = tpe_run
    found = best(collect(out, sweep), sweep, n=1).loc[0, "sharpe_ratio"]
    grid = spec(method="grid", params=SPACE, budget=200, chunk_size=200)
    run_chunk(grid, plan_chunks(grid, 1)[0], frames(), tmp_path)
    assert found >= collect(tmp_path, grid)["sharpe_ratio"].median()


def test_a_retry_fails_the_crashed_attempts_running_trials(tmp_path):
    sweep = spec(method="tpe", params=SPACE, budget=4, chunk_size=4)
    chunk = plan_chunks(sweep, 1)[0]
    # a first attempt asked for a trial and died before telling it
    study = optuna.create_study(study_name=chunk.study, storage=journal_storage(tmp_path, chunk.study),
                                direction="maximize")
    crashed = study.ask()
    crashed.set_user_attr("chunk_id", chunk.chunk_id)
    run_chunk(sweep, chunk, frames(), tmp_path)
    trials = load(tmp_path, chunk).get_trials()
    assert trials[crashed.number].state == TrialState.FAIL
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    assert crashed.number not in set(collect(tmp_path, sweep)["trial"])


def test_nsga2_returns_a_non_dominated_front(tmp_path):
    sweep = spec(method="nsga2", params=SPACE, budget=24, chunk_size=12, seed=5,
                 objectives=[{"sharpe_ratio": "maximize"}, {"max_drawdown": "maximize"}])
    for chunk in plan_chunks(sweep, 1):
        run_chunk(sweep, chunk, frames(), tmp_path)
    results = collect(tmp_path, sweep)
    front = best(results, sweep)
    assert len(results) == 24 and 1 <= len(front) < 24
    points = results[["sharpe_ratio", "max_drawdown"]].to_numpy()  # both maximised
    on_front = front[["sharpe_ratio", "max_drawdown"]].to_numpy()

    def dominated(p, others):
        return bool(((others >= p).all(axis=1) & (others > p).any(axis=1)).any())

    assert not any(dominated(p, points) for p in on_front)
    off_front = [p for p in points if not (on_front == p).all(axis=1).any()]
    assert all(dominated(p, on_front) for p in off_front)  # everything left out is beaten by the front
    assert front["sharpe_ratio"].is_monotonic_decreasing
    assert pareto_front(results, sweep.objectives).equals(front)
    assert np.isfinite(on_front).all()


@pytest.mark.parametrize("inner", ["tpe", "random"])
def test_walk_forward_inner_search_is_seeded(tmp_path, inner):
    sweep = spec(method="walk_forward", params=SPACE, seed=11, start="2024-01-01", end="2024-01-02T04:40",
                 walk_forward={"in_sample": 1000, "out_of_sample": "6h", "method": inner, "budget": 4})
    chunks = plan_chunks(sweep, 1)
    assert len(chunks) == 2  # 1000 + 360 bars, then one step of 360: the window's 1720 bars
    for run in ("a", "b"):
        for chunk in chunks:
            run_chunk(sweep, chunk, frames(), tmp_path / run)
    first, again = collect(tmp_path / "a", sweep), collect(tmp_path / "b", sweep)
    assert list(first["inner_trials"]) == [4, 4]
    assert first.drop(columns="chunk_id").equals(again.drop(columns="chunk_id"))
