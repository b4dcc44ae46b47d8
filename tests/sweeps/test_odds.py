"""The overfitting odds of a sweep run: daily returns kept per chunk, combined and judged at publish time."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from include.backtest import Bars, run_backtest
from include.config.schema import Research
from include.metrics.overfitting import deflate, per_period_sharpes, probability_of_backtest_overfitting
from include.sweeps import collect, plan_chunks, run_chunk
from include.sweeps.odds import LUCK, SURVIVES, UNDETERMINED, best_trials, sweep_odds, verdict, write_odds
from include.sweeps.results import daily_returns
from include.sweeps.run import returns_path
from tests.sweeps.support import spec, zigzag

DAYS = 12
FRAMES = {("synth", "ZIG/USD"): zigzag(n=DAYS * 1440), ("synth", "WAVE/USD"): zigzag(n=DAYS * 1440, shift=37,
                                                                                      period=20)}
UNIVERSE = [{"exchange": e, "symbol": s} for e, s in FRAMES]
RESEARCH = Research(pbo_blocks=4)  # 12 days: 3 per block


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("odds") / "run"
    sweep = spec(universe=UNIVERSE)
    for chunk in plan_chunks(sweep, len(sweep.universe)):
        run_chunk(sweep, chunk, FRAMES, out)
    return sweep, out, collect(out, sweep)


def test_each_chunk_keeps_its_trials_daily_returns_beside_its_rows(grid):
    sweep, out, results = grid
    for chunk in plan_chunks(sweep, 2):
        assert returns_path(out, chunk.chunk_id).is_file()
    assert len(results) == 8 and set(results.columns) >= {"chunk_id", "trial", "per_series"}  # none from returns/
    keys, matrix = daily_returns(out, sweep, "synth ZIG/USD")
    assert matrix.dtype == np.float32 and matrix.shape == (DAYS, len(results))
    pd.testing.assert_frame_equal(keys, results[["chunk_id", "trial"]])


def test_the_kept_returns_are_the_backtests_bar_returns_compounded_per_day(grid):
    sweep, out, results = grid
    keys, matrix = daily_returns(out, sweep, "synth WAVE/USD")
    column = 5
    params = json.loads(results.params[column])
    result = run_backtest(Bars(FRAMES[("synth", "WAVE/USD")], "1m"), sweep.get_strategy(), params,
                          sweep.costs.to_costs(), **sweep.engine_settings(), check_lookahead=False)
    expected = (1 + result.returns).groupby(result.returns.index.floor("D")).prod() - 1
    np.testing.assert_allclose(matrix[:, column], expected.to_numpy(), rtol=1e-5, atol=1e-7)


def test_the_odds_judge_each_series_best_among_all_trials(grid):
    sweep, out, results = grid
    rows = {row["label"]: row for row in sweep_odds(sweep, out, RESEARCH)}
    bests = best_trials(results, sweep)
    assert set(rows) == set(bests) == {"synth ZIG/USD", "synth WAVE/USD"}
    for label, row in rows.items():
        assert (row["chunk_id"], row["trial"]) == bests[label]
        per_series = results.per_series.map(lambda text: json.loads(text)[label]["sharpe_ratio"])
        assert per_series[(results.chunk_id == row["chunk_id"]) & (results.trial == row["trial"])].item() \
            == pytest.approx(per_series.max())  # the objective here is sharpe_ratio
        keys, matrix = daily_returns(out, sweep, label)
        column = int(np.flatnonzero((keys.chunk_id == row["chunk_id"]) & (keys.trial == row["trial"]))[0])
        m = matrix.astype(float)
        d = deflate(m[:, column], per_period_sharpes(m))
        assert (row["n_trials"], row["n_days"]) == (8, DAYS)
        assert row["dsr"] == pytest.approx(d.dsr) and row["psr"] == pytest.approx(d.psr)
        assert row["sharpe_ratio_daily"] == pytest.approx(d.sharpe * math.sqrt(365))
        assert row["expected_max_sharpe"] == pytest.approx(d.expected_max_sharpe * math.sqrt(365))
        assert row["sharpe_variance"] == pytest.approx(d.sharpe_variance * 365)
        overfitting = probability_of_backtest_overfitting(m, 4)
        assert (row["pbo"], row["pbo_combinations"]) == (pytest.approx(overfitting.pbo), 6)
        assert row["verdict"] == verdict(row["dsr"], row["pbo"], RESEARCH)


def test_the_odds_file_is_written_and_short_runs_get_no_pbo(grid):
    sweep, out, _ = grid
    rows = json.loads(write_odds(sweep, out, Research()).read_text())  # S = 16 > 12 days: no PBO
    assert len(rows) == 2 and all(r["pbo"] is None and r["pbo_combinations"] is None for r in rows)
    assert all(r["verdict"] in (LUCK, SURVIVES) for r in rows)


def test_the_verdict_follows_the_thresholds():
    research = Research(luck_threshold=0.9, pbo_threshold=0.4)
    assert verdict(0.95, 0.1, research) == SURVIVES
    assert verdict(0.95, None, research) == SURVIVES
    assert verdict(0.89, 0.1, research) == LUCK
    assert verdict(0.99, 0.41, research) == LUCK
    assert verdict(math.nan, 0.1, research) == UNDETERMINED


def test_the_research_thresholds_are_checked():
    with pytest.raises(ValueError, match="multiple"):
        Research(pbo_blocks=5)
    with pytest.raises(ValueError, match="less than 1"):
        Research(luck_threshold=1.5)
