"""A cpcv walk-forward sweep: one row per split, params chosen on the training bars' returns of one
continuous run over the split's span, scored on the test bars' returns (purged bars on neither side)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from include.backtest import run_backtest
from include.backtest.result import performance
from include.sweeps import collect, plan_chunks, run_chunk, walk_forward_summary
from include.sweeps.folds import in_windows
from include.sweeps.spec import METRICS
from include.timeframes import periods_per_year
from tests.sweeps.support import frames, spec

CPCV = {"scheme": "cpcv", "n_folds": 5, "n_test_folds": 2, "purged_size": "1h", "embargo_size": 20,
        "method": "grid", "budget": 9}


@pytest.fixture(scope="module")
def cpcv(tmp_path_factory):
    out = tmp_path_factory.mktemp("cpcv")
    sweep = spec(method="walk_forward", start="2024-01-01", end="2024-01-03T18:00", walk_forward=CPCV)
    chunks = plan_chunks(sweep, 1)
    for chunk in chunks:
        run_chunk(sweep, chunk, frames(), out)
    return sweep, chunks, collect(out, sweep)


def test_one_row_per_split_with_its_groups_and_gaps(cpcv):
    sweep, chunks, results = cpcv
    assert len(chunks) == len(results) == 10  # C(5, 2)
    assert [json.loads(g) for g in results["test_groups"]][:3] == [[0, 1], [0, 2], [0, 3]]
    assert (results["scheme"] == "cpcv").all() and (results["purge_bars"] == 60).all()  # 1h of 1m bars
    assert (results["embargo_bars"] == 20).all()
    columns = list(walk_forward_summary(results).folds.columns)
    assert columns.index("oos_n_trades") < columns.index("is_sharpe_ratio")


def test_in_and_out_of_sample_are_the_train_and_test_bars_of_one_continuous_run(cpcv):
    sweep, chunks, results = cpcv
    row = results.iloc[4]
    fold = chunks[4].fold
    (key, frame), = frames().items()
    ts = frame["ts"]
    bars = frame[(ts >= fold.span_start) & (ts < fold.span_end)].reset_index(drop=True)
    params = json.loads(row["params"])
    run = run_backtest(bars, "sma_crossover", params, sweep.costs.to_costs(), timeframe="1m", check_lookahead=False)
    stamps = pd.DatetimeIndex(bars["ts"])
    train, test = in_windows(stamps, fold.train), in_windows(stamps, fold.test)
    assert not (train & test).any() and (~train & ~test).sum() > 0  # purged and embargoed bars count nowhere
    for side, mask in (("is", train), ("oos", test)):
        expected = performance(run.returns.to_numpy()[mask], periods_per_year("1m"))
        for m in METRICS:
            assert row[f"{side}_{m}"] == pytest.approx(expected[m], rel=1e-12, nan_ok=True), (side, m)
    closed = run.trades[run.trades["exit_reason"] != "open"]
    assert row["oos_n_trades"] == int(test[closed["entry_bar"].to_numpy(dtype=int)].sum())


def test_the_chosen_params_are_the_best_on_the_training_bars(cpcv):
    sweep, chunks, results = cpcv
    row, fold = results.iloc[7], chunks[7].fold
    (key, frame), = frames().items()
    ts = frame["ts"]
    bars = frame[(ts >= fold.span_start) & (ts < fold.span_end)].reset_index(drop=True)
    train = in_windows(pd.DatetimeIndex(bars["ts"]), fold.train)
    scores = {}
    for fast in (5, 10, 20):
        for slow in (20, 40, 80):
            if fast < slow:
                params = {"fast": fast, "slow": slow, "kind": "sma", "mode": "long_only"}
                run = run_backtest(bars, "sma_crossover", params, sweep.costs.to_costs(), timeframe="1m",
                                   check_lookahead=False)
                scores[(fast, slow)] = performance(run.returns.to_numpy()[train], periods_per_year("1m"))["sharpe_ratio"]
    chosen = json.loads(row["params"])
    best = max(scores.values(), key=lambda v: -np.inf if np.isnan(v) else v)
    assert scores[(chosen["fast"], chosen["slow"])] == best
