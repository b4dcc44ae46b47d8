"""Grid sweeps run chunk by chunk: the known-best params win, files are atomic, re-runs redo nothing."""
from __future__ import annotations

import json
import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from include.backtest import LookaheadError, run_backtest
from include.strategies import Param, Strategy, strategies
from include.sweeps import SweepError, best, check_strategy, collect, plan_chunks, run_chunk
from include.sweeps.run import chunk_path, write_atomic
from tests.sweeps.support import frames, spec


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    sweep, data = spec(2, objective="total_return"), frames(2)
    paths = [run_chunk(sweep, chunk, data, out) for chunk in plan_chunks(sweep, 2)]
    return sweep, data, out, paths


def test_the_known_best_sma_pair_wins(grid_run):
    sweep, _, out, _ = grid_run
    top = best(collect(out, sweep), sweep, n=3)
    # fast 5 whipsaws on the 10-bar wiggle; 10/20 is the shortest pair that cancels it, so it lags least
    assert (top.loc[0, "param_fast"], top.loc[0, "param_slow"]) == (10, 20)
    assert top["total_return"].is_monotonic_decreasing
    assert json.loads(top.loc[0, "params"]) == {"fast": 10, "kind": "sma", "mode": "long_only", "slow": 20}


def test_a_trial_is_the_mean_over_the_series_of_direct_backtests(grid_run):
    sweep, data, out, _ = grid_run
    row = collect(out, sweep).query("param_fast == 10 and param_slow == 40").iloc[0]
    direct = [run_backtest(data[key], "sma_crossover", json.loads(row["params"]), sweep.costs.to_costs(),
                           check_lookahead=False).metrics for key in data]
    assert row["sharpe_ratio"] == pytest.approx(np.mean([m["sharpe_ratio"] for m in direct]), rel=1e-12)
    assert row["max_drawdown"] == pytest.approx(np.mean([m["max_drawdown"] for m in direct]), rel=1e-12)
    assert row["n_trades"] == sum(m["n_trades"] for m in direct)


def test_a_trial_backtests_with_the_spec_sizing_exits_and_breaker(tmp_path):
    settings = {"sizing": {"method": "vol_target", "target_vol": 0.3}, "exits": {"stop_loss": 0.01}, "breaker": None}
    sweep, data = spec(1, params={"fast": [10], "slow": [20], "kind": "sma", "mode": "long_only"}, **settings), frames(1)
    row = collect(run_chunk(sweep, plan_chunks(sweep, 1)[0], data, tmp_path).parent, sweep).iloc[0]
    (key, frame), = data.items()
    direct = run_backtest(frame, "sma_crossover", json.loads(row["params"]), sweep.costs.to_costs(),
                          check_lookahead=False, **sweep.engine_settings()).metrics
    default = run_backtest(frame, "sma_crossover", json.loads(row["params"]), sweep.costs.to_costs(),
                           check_lookahead=False).metrics
    assert row["total_return"] == pytest.approx(direct["total_return"], rel=1e-12)
    assert row["total_return"] != pytest.approx(default["total_return"], rel=1e-6)


def test_chunk_files_hold_the_documented_columns(grid_run):
    sweep, _, out, paths = grid_run
    assert [p.name for p in paths] == [f"{c.chunk_id}.parquet" for c in plan_chunks(sweep, 2)]
    results = collect(out, sweep)
    assert list(results.columns[:7]) == ["chunk_id", "trial", "params", "param_fast", "param_slow", "param_kind",
                                         "param_mode"]
    assert {"sharpe_ratio", "sortino_ratio", "calmar_ratio", "annual_return", "total_return", "max_drawdown",
            "n_trades"} <= set(results.columns)
    assert list(results["trial"]) == list(range(8))
    assert not any(p.name.startswith(".") for p in out.iterdir())  # no temporary file left behind


def test_a_rerun_skips_finished_chunks_and_adds_no_rows(grid_run):
    sweep, data, out, paths = grid_run
    before = {p: p.stat().st_mtime_ns for p in paths}
    again = [run_chunk(sweep, chunk, data, out) for chunk in plan_chunks(sweep, 2)]
    assert again == paths
    assert {p: p.stat().st_mtime_ns for p in paths} == before
    results = collect(out, sweep)
    assert len(results) == 8 and not results.duplicated(["chunk_id", "trial"]).any()


def test_a_missing_chunk_is_rerun_alone(grid_run, tmp_path):
    sweep, data, out, paths = grid_run
    for p in paths:
        (tmp_path / p.name).write_bytes(p.read_bytes())
    chunks = plan_chunks(sweep, 2)
    chunk_path(tmp_path, chunks[1]).unlink()
    kept = chunk_path(tmp_path, chunks[0]).stat().st_mtime_ns
    run_chunk(sweep, chunks[1], data, tmp_path)
    assert chunk_path(tmp_path, chunks[0]).stat().st_mtime_ns == kept
    assert collect(tmp_path, sweep).equals(collect(out, sweep))


def test_progress_is_logged_with_an_eta(tmp_path, caplog):
    sweep = spec()
    with caplog.at_level(logging.INFO, logger="include.sweeps"):
        run_chunk(sweep, plan_chunks(sweep, 1)[0], frames(), tmp_path)
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("sma_crossover grid 1/3: 3/3 trials") and "ETA 0.0 s" in line for line in lines)


def test_a_series_missing_from_frames_is_named(tmp_path):
    sweep = spec(2)
    with pytest.raises(SweepError, match="no candles for synth ZIG1/USD; frames given: synth ZIG0/USD"):
        run_chunk(sweep, plan_chunks(sweep, 2)[0], frames(1), tmp_path)


def _peeks(frame, params):
    close = frame["close"]
    out = np.where(close.shift(-1) > close, 1.0, 0.0)  # the next bar's close: lookahead
    out[:10] = np.nan
    return out


PEEKING = Strategy(name="peeking", params=(Param("threshold", "float", 0.0, low=0.0, high=1.0),), signal=_peeks)


def test_check_strategy_rejects_a_peeking_strategy_and_passes_a_causal_one(monkeypatch):
    monkeypatch.setitem(strategies(), "peeking", PEEKING)  # the registry's own dict; undone after the test
    peeking, data = spec(strategy="peeking", params={"threshold": [0.0]}), frames()
    first_bar_after_warm_up = data[("synth", "ZIG0/USD")]["ts"].iloc[10]
    with pytest.raises(LookaheadError, match=re.escape(
            f"strategy 'peeking' looks ahead: its signal at bar 10 (ts {first_bar_after_warm_up})")):
        check_strategy(peeking, data)
    check_strategy(spec(), data)  # sma_crossover: raises nothing (the guard itself is tested in tests/backtest)


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    unwritable = pd.DataFrame({"chunk_id": ["x"], "params": [object()]})  # Parquet cannot store an object()
    with pytest.raises(pa.ArrowInvalid, match="Conversion failed for column params with type object"):
        write_atomic(unwritable, tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []
