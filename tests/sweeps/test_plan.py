"""plan_chunks: the same spec always gives the same chunks; sizes, ids and labels as documented."""
from __future__ import annotations

import pandas as pd
import pytest

from include.sweeps import SweepError, plan_chunks
from include.sweeps.plan import grid
from tests.sweeps.support import spec


def test_grid_is_the_cartesian_product_minus_rule_breakers_in_chunks():
    chunks = plan_chunks(spec(), 1)
    trials = [t for c in chunks for t in c.trials]
    # fast {5, 10, 20} x slow {20, 40, 80} = 9, minus fast=20/slow=20 (the rule wants fast < slow)
    assert [(p["fast"], p["slow"]) for _, p in trials] == [
        (5, 20), (5, 40), (5, 80), (10, 20), (10, 40), (10, 80), (20, 40), (20, 80)]
    assert [n for n, _ in trials] == list(range(8))
    assert [len(c.trials) for c in chunks] == [3, 3, 2]
    assert [c.label for c in chunks] == ["sma_crossover grid 1/3", "sma_crossover grid 2/3", "sma_crossover grid 3/3"]
    assert [c.backtests for c in plan_chunks(spec(2), 2)] == [6, 6, 4]


def test_grid_plan_is_deterministic_and_ids_follow_the_spec():
    first, again = plan_chunks(spec(), 1), plan_chunks(spec(), 1)
    assert first == again
    ids = [c.chunk_id for c in first]
    assert len(set(ids)) == 3 and all(i.startswith(f"zig-{spec().digest()}-") for i in ids)
    assert ids[0].endswith("-0001")
    changed = [c.chunk_id for c in plan_chunks(spec(chunk_size=4), 1)]
    assert not set(changed) & set(ids)  # another spec never reuses a chunk id (nor its result file)


def test_grid_over_budget_is_an_error_naming_both_numbers():
    # the spec validated with budget 100; plan a bigger grid against a budget of 5
    with pytest.raises(SweepError, match="the grid has 9 points, more than budget 5"):
        grid(spec(), 5)


def test_random_samples_are_distinct_valid_and_fixed_by_the_seed():
    wide = {"fast": {"low": 2, "high": 60, "step": 1}, "slow": {"low": 10, "high": 200, "step": 5}}

    def sampled(seed):
        chunks = plan_chunks(spec(method="random", budget=25, chunk_size=10, seed=seed, params=wide), 1)
        return [p for c in chunks for _, p in c.trials], [len(c.trials) for c in chunks]

    first, sizes = sampled(7)
    assert sizes == [10, 10, 5]
    assert first == sampled(7)[0]
    assert first != sampled(8)[0]
    assert len({(p["fast"], p["slow"], p["kind"], p["mode"]) for p in first}) == 25
    assert all(2 <= p["fast"] < p["slow"] <= 200 and p["slow"] % 5 == 0 for p in first)
    # numpy's default_rng(7): one grid index per param in declaration order (fast, slow, kind, mode);
    # draws with fast >= slow or already seen are skipped
    assert first[:10] == [
        {"fast": 57, "slow": 130, "kind": "ema", "mode": "long_short"},
        {"fast": 36, "slow": 160, "kind": "ema", "mode": "long_only"},
        {"fast": 5, "slow": 65, "kind": "sma", "mode": "long_short"},
        {"fast": 9, "slow": 165, "kind": "sma", "mode": "long_only"},
        {"fast": 50, "slow": 65, "kind": "sma", "mode": "long_only"},
        {"fast": 44, "slow": 55, "kind": "ema", "mode": "long_only"},
        {"fast": 30, "slow": 105, "kind": "ema", "mode": "long_short"},
        {"fast": 32, "slow": 200, "kind": "ema", "mode": "long_short"},
        {"fast": 43, "slow": 130, "kind": "sma", "mode": "long_short"},
        {"fast": 29, "slow": 50, "kind": "ema", "mode": "long_only"},
    ]


def test_tpe_and_nsga2_chunks_share_one_study_and_split_the_budget():
    chunks = plan_chunks(spec(method="tpe", budget=23, chunk_size=10), 1)
    assert [c.n_trials for c in chunks] == [10, 10, 3]
    assert len({c.study for c in chunks}) == 1
    assert chunks[1].label == "sma_crossover tpe 2/3"
    nsga = plan_chunks(spec(method="nsga2", budget=20, chunk_size=10, objectives=["sharpe_ratio", "max_drawdown"]), 1)
    assert [c.n_trials for c in nsga] == [10, 10]


def test_walk_forward_folds_tile_the_window():
    wf = spec(method="walk_forward", start="2024-01-01", end="2024-01-11",
              walk_forward={"in_sample": "3d", "out_of_sample": "2d"})
    chunks = plan_chunks(wf, 1)
    folds = [c.fold for c in chunks]
    assert len(folds) == 3  # out-of-sample windows Jan 4-6, 6-8, 8-10; the next would end Jan 12
    assert chunks[0].label == "sma_crossover walk_forward fold 1/3"
    assert chunks[0].n_trials == 8  # the inner grid
    day = pd.Timedelta(days=1)
    for fold in folds:
        assert fold.in_sample_end - fold.in_sample_start == 3 * day
        assert fold.out_of_sample_start == fold.in_sample_end  # half-open windows: no shared bar
        assert fold.out_of_sample_end - fold.out_of_sample_start == 2 * day
    for before, after in zip(folds, folds[1:]):
        assert after.out_of_sample_start == before.out_of_sample_end
    assert folds[-1].out_of_sample_end <= pd.Timestamp("2024-01-11", tz="UTC")
