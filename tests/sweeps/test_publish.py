"""Publishing a sweep: results into the warehouse (idempotent, transactional) and heatmap PNGs."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from include.backtest import run_backtest
from include.sweeps import collect, pareto_front, plan_chunks, run_chunk
from include.sweeps.heatmaps import levels, objective_grid, render_heatmaps
from include.sweeps.publish import load_into_warehouse
from include.warehouse.dbt_runner import warehouse_file
from tests.sweeps.support import spec, zigzag

PNG = b"\x89PNG\r\n\x1a\n"
# a 10-bar wave: 10/20 cancels it and lags least; a 20-bar wave: 10 whipsaws, 20/40 wins (support.zigzag)
FRAMES = {("synth", "ZIG/USD"): zigzag(), ("synth", "WAVE/USD"): zigzag(shift=37, period=20)}
KNOWN_BEST = {"ZIG/USD": (10, 20), "WAVE/USD": (20, 40)}
UNIVERSE = [{"exchange": e, "symbol": s} for e, s in FRAMES]


def run_all(sweep, out):
    for chunk in plan_chunks(sweep, len(sweep.universe)):
        run_chunk(sweep, chunk, FRAMES, out)
    return collect(out, sweep)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    sweep = spec(universe=UNIVERSE, objective="total_return")
    return sweep, out, run_all(sweep, out)


def query(data_dir, sql, *args):
    with duckdb.connect(str(warehouse_file(data_dir)), read_only=True) as con:
        return con.execute(sql, list(args)).df()


def test_loading_twice_replaces_and_other_runs_are_kept(grid, tmp_path):
    sweep, out, results = grid
    first = load_into_warehouse(sweep, out, tmp_path, "run-1")
    stamp = query(tmp_path, "select distinct loaded_at from sweep_trials")["loaded_at"]
    again = load_into_warehouse(sweep, out, tmp_path, "run-1")
    assert first == again == {"sweep_trials": 8, "sweep_best": 2, "sweep_walk_forward": 0}
    trials = query(tmp_path, "select * from sweep_trials")
    assert len(trials) == 8 and not trials.duplicated(["chunk_id", "trial"]).any()
    assert trials["loaded_at"].nunique() == 1 and trials["loaded_at"].iloc[0] > stamp.iloc[0]
    assert len(query(tmp_path, "select * from sweep_best")) == 2
    load_into_warehouse(sweep, out, tmp_path, "run-2")
    counts = query(tmp_path, "select run_id, count(*) n from sweep_trials group by run_id order by run_id")
    assert counts.to_dict("list") == {"run_id": ["run-1", "run-2"], "n": [8, 8]}


def test_trials_keep_params_as_json_and_metrics_as_columns(grid, tmp_path):
    sweep, out, results = grid
    load_into_warehouse(sweep, out, tmp_path, "run-1")
    row = query(tmp_path, "select *, params->>'fast' fast, params->>'slow' slow from sweep_trials "
                          "where objective_rank = 1").iloc[0]
    top = results.loc[results["total_return"].idxmax()]
    # over both series 20/40 wins (10/20 whipsaws on the 20-bar wave), though 10/20 is best on ZIG/USD alone
    assert (row["fast"], row["slow"]) == ("20", "40") == (str(top["param_fast"]), str(top["param_slow"]))
    assert row["total_return"] == top["total_return"] and row["sharpe_ratio"] == top["sharpe_ratio"]
    assert row["n_trades"] == top["n_trades"] > 0
    assert (row["sweep"], row["spec_digest"], row["strategy"], row["method"], row["timeframe"], row["objective"]) == (
        "zig", sweep.digest(), "sma_crossover", "grid", "1m", "total_return")
    assert pd.isna(row["pareto"])  # only nsga2 has a front
    ranks = query(tmp_path, "select objective_rank from sweep_trials order by total_return desc")
    assert list(ranks["objective_rank"]) == list(range(1, 9))


def test_best_is_per_symbol_and_matches_direct_backtests(grid, tmp_path):
    sweep, out, results = grid
    load_into_warehouse(sweep, out, tmp_path, "run-1")
    best = query(tmp_path, "select * from sweep_best order by symbol").set_index("symbol")
    for (exchange, symbol), frame in FRAMES.items():
        direct = {(f, s): run_backtest(frame, "sma_crossover", {"fast": f, "slow": s, "kind": "sma",
                                                                "mode": "long_only"}, sweep.costs.to_costs(),
                                       check_lookahead=False).metrics
                  for f, s in zip(results["param_fast"], results["param_slow"])}
        winner = max(direct, key=lambda k: direct[k]["total_return"])
        row = best.loc[symbol]
        params = json.loads(row["params"])
        assert winner == (params["fast"], params["slow"]) == KNOWN_BEST[symbol]
        assert row["exchange"] == exchange and (row["objective"], row["direction"]) == ("total_return", "maximize")
        for metric in ("total_return", "sharpe_ratio", "max_drawdown"):
            assert row[metric] == pytest.approx(direct[winner][metric], rel=1e-12)
        assert row["n_trades"] == direct[winner]["n_trades"]


def test_a_failed_load_leaves_the_previous_contents(grid, tmp_path):
    sweep, out, _ = grid
    load_into_warehouse(sweep, out, tmp_path, "run-1")
    before = query(tmp_path, "select * from sweep_trials order by trial")
    with duckdb.connect(str(warehouse_file(tmp_path))) as con:  # sweep_best turned unable to take an exchange name
        con.execute("drop table sweep_best")
        con.execute("create table sweep_best (sweep varchar, run_id varchar, exchange integer)")
    with pytest.raises(duckdb.Error):
        load_into_warehouse(sweep, out, tmp_path, "run-1")  # trials replaced first, then sweep_best fails
    after = query(tmp_path, "select * from sweep_trials order by trial")
    pd.testing.assert_frame_equal(after, before)  # same rows, same loaded_at: rolled back


def test_nsga2_flags_the_pareto_front_and_ranks_best_by_the_first_objective(tmp_path):
    sweep = spec(universe=UNIVERSE, method="nsga2", budget=8, chunk_size=4, seed=1,
                 params={"fast": {"low": 4, "high": 20, "step": 2}, "slow": {"low": 20, "high": 80, "step": 10},
                         "kind": "sma", "mode": "long_only"},
                 objectives=[{"total_return": "maximize"}, {"max_drawdown": "maximize"}])
    out = tmp_path / "nsga2"
    results = run_all(sweep, out)
    assert load_into_warehouse(sweep, out, tmp_path, "r")["sweep_trials"] == 8
    trials = query(tmp_path, "select chunk_id, trial, pareto from sweep_trials")
    front = pareto_front(results, sweep.objectives)
    flagged = trials[trials["pareto"]]
    assert set(zip(flagged["chunk_id"], flagged["trial"])) == set(zip(front["chunk_id"], front["trial"]))
    assert trials["pareto"].notna().all() and 0 < len(flagged) < 8
    best = query(tmp_path, "select symbol, total_return, objective from sweep_best").set_index("symbol")
    for symbol in KNOWN_BEST:
        label = f"synth {symbol}"
        per_series = [json.loads(p)[label]["total_return"] for p in results["per_series"]]
        assert best.loc[symbol, "total_return"] == max(per_series)
        assert best.loc[symbol, "objective"] == "total_return"


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    out = tmp_path_factory.mktemp("wf")
    sweep = spec(universe=UNIVERSE, method="walk_forward", start="2024-01-01", end="2024-01-03T18:00",
                 walk_forward={"in_sample_days": 1, "out_of_sample_days": 0.5, "method": "grid", "budget": 9})
    return sweep, out, run_all(sweep, out)


def test_walk_forward_folds_land_in_their_table(walk, tmp_path):
    sweep, out, results = walk
    counts = load_into_warehouse(sweep, out, tmp_path, "r")
    assert counts == load_into_warehouse(sweep, out, tmp_path, "r") == {
        "sweep_trials": 0, "sweep_best": 0, "sweep_walk_forward": 3}
    folds = query(tmp_path, "select * from sweep_walk_forward order by fold")
    assert list(folds["fold"]) == [0, 1, 2] and (folds["method"] == "walk_forward").all()
    for column in ("in_sample_start", "out_of_sample_end"):
        assert [pd.Timestamp(t) for t in folds[column]] == list(results[column])
    assert list(folds["params"]) == list(results["params"])
    for column in ("is_total_return", "oos_sharpe_ratio", "degradation_total_return", "oos_n_trades"):
        np.testing.assert_array_equal(folds[column].to_numpy(dtype=float), results[column].to_numpy(dtype=float))
    assert (folds["inner_trials"] == 8).all()


def png_shape(path):
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 0
    return imread(path).shape


def test_a_heatmap_per_pair_of_varying_numeric_params(grid, tmp_path):
    sweep, _, results = grid
    paths = render_heatmaps(sweep, results, tmp_path / "maps")
    assert [p.name for p in paths] == ["zig-fast-slow.png"]  # kind and mode are fixed
    height, width, _ = png_shape(paths[0])
    assert height > 100 and width > 100
    assert [p.name for p in (tmp_path / "maps").iterdir()] == ["zig-fast-slow.png"]  # no temporary left


def test_one_varying_numeric_param_gives_a_line_chart(grid, tmp_path):
    sweep, _, results = grid
    paths = render_heatmaps(sweep, results[results["param_slow"] == 80], tmp_path)
    assert [p.name for p in paths] == ["zig-fast.png"]
    height, width, _ = png_shape(paths[0])
    assert height > 100 and width > 100


def test_walk_forward_results_give_no_charts(walk, tmp_path):
    sweep, _, results = walk
    assert render_heatmaps(sweep, results, tmp_path) == []


def test_the_grid_averages_other_params_and_leaves_invalid_cells_blank(grid):
    _, _, results = grid
    cells = objective_grid(results, "fast", "slow", "total_return")
    assert list(cells.columns) == [5, 10, 20] and list(cells.index) == [20, 40, 80]
    assert np.isnan(cells.loc[20, 20])  # fast >= slow: never run
    assert cells.loc[20, 10] == results.query("param_fast == 10 and param_slow == 20")["total_return"].item()
    ema = results.assign(param_kind="ema", total_return=results["total_return"] + 1.0)
    both = objective_grid(pd.concat([results, ema]), "fast", "slow", "total_return")
    np.testing.assert_allclose(both.to_numpy(), cells.to_numpy() + 0.5)


def test_many_distinct_values_are_binned():
    values = pd.Series(np.linspace(0.0, 1.0, 101))
    binned = levels(values)
    assert binned.nunique() == 20 and binned.iloc[0] == pytest.approx(0.025, abs=1e-3)
    assert levels(pd.Series([5, 10, 20])).tolist() == [5, 10, 20]
