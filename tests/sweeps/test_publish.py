"""Publishing a sweep: results into the warehouse's dbt marts (by run, deduplicated) and heatmap PNGs."""
from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from include.backtest import run_backtest
from include.paths import DataPaths
from include.reports.export_readers import sweeps_before
from include.sweeps import SweepError, collect, pareto_front, plan_chunks, run_chunk
from include.sweeps.heatmaps import levels, objective_grid, render_heatmaps
from include.sweeps.inputs import sweep_dir
from include.sweeps.publish import MANIFEST, MARTS, SWEEP_MODELS, load_into_warehouse
from include.sweeps.spec import METRICS
from include.warehouse.dbt_runner import WarehouseError, run_dbt, warehouse_file
from include.warehouse.exports import export_marts
from tests.sweeps.support import spec, zigzag

PNG = b"\x89PNG\r\n\x1a\n"
# a 10-bar wave: 10/20 cancels it and lags least; a 20-bar wave: 10 whipsaws, 20/40 wins (support.zigzag)
FRAMES = {("synth", "ZIG/USD"): zigzag(), ("synth", "WAVE/USD"): zigzag(shift=37, period=20)}
KNOWN_BEST = {"ZIG/USD": (10, 20), "WAVE/USD": (20, 40)}
UNIVERSE = [{"exchange": e, "symbol": s} for e, s in FRAMES]
STAGING = ("stg_sweep_runs", "stg_sweep_trials", "stg_sweep_folds")
# the columns of the tables publish.py created before dbt owned them (the reports' semantics)
HEAD = ["sweep", "spec_digest", "strategy", "method", "timeframe", "run_id", "loaded_at"]
MEASURED = [*METRICS, "n_trades"]
COLUMNS = {
    "fct_sweep_trials": [*HEAD, "chunk_id", "trial", "params", "objective", "objective_rank", "pareto", *MEASURED,
                         "per_series"],
    "fct_sweep_best": [*HEAD, "exchange", "symbol", "objective", "direction", "chunk_id", "trial", "params", *MEASURED,
                       "n_trials", "n_days", "sharpe_ratio_daily", "sharpe_variance", "expected_max_sharpe", "psr",
                       "dsr", "pbo", "pbo_combinations", "verdict"],
    "fct_sweep_walk_forward": [*HEAD, "fold", "in_sample_start", "in_sample_end", "out_of_sample_start",
                               "out_of_sample_end", "scheme", "purge_bars", "embargo_bars", "train_windows",
                               "test_windows", "test_groups", "trial", "inner_trials", "params",
                               *(f"oos_{m}" for m in MEASURED), *(f"is_{m}" for m in MEASURED),
                               *(f"degradation_{m}" for m in METRICS),
                               *(f"degradation_ratio_{m}" for m in METRICS)],
}


def run_all(sweep, out):
    for chunk in plan_chunks(sweep, len(sweep.universe)):
        run_chunk(sweep, chunk, FRAMES, out)
    return collect(out, sweep)


def build_sweep_models(data_dir, command="build"):
    return run_dbt([command, "--select", SWEEP_MODELS], data_dir, check_candles=False)


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    data = tmp_path_factory.mktemp("grid")
    sweep = spec(universe=UNIVERSE, objective="total_return")
    out = sweep_dir(data, sweep, "run-1")
    return sweep, out, run_all(sweep, out)


def query(data_dir, sql, *args):
    with duckdb.connect(str(warehouse_file(data_dir)), read_only=True) as con:
        return con.execute(sql, list(args)).df()


@pytest.fixture(scope="module")
def published(grid):
    """The grid's run-1 published twice, then run-2 (the same chunk files, and a stray copy of one)."""
    sweep, out, _ = grid
    data = out.parents[2]
    first = load_into_warehouse(sweep, out, data, "run-1")
    before = query(data, "select * from fct_sweep_trials")
    again = load_into_warehouse(sweep, out, data, "run-1")
    after = query(data, "select * from fct_sweep_trials")
    out2 = sweep_dir(data, sweep, "run-2")
    shutil.copytree(out, out2, ignore=shutil.ignore_patterns(MANIFEST))
    first_chunk = sorted(out2.glob("*.parquet"))[0]
    shutil.copy(first_chunk, first_chunk.with_name(f"{first_chunk.stem} (copy).parquet"))
    second = load_into_warehouse(sweep, out2, data, "run-2")
    built = json.loads((DataPaths(data).dbt_target / "run_results.json").read_text())["results"]  # run-2's build
    return SimpleNamespace(sweep=sweep, data=data, out=out, first=first, again=again, second=second,
                           before=before, after=after, built=built)


def test_the_sweep_models_build_empty_before_any_sweep(tmp_path):
    results = build_sweep_models(tmp_path)  # no data/sweeps at all, no landed candles either
    assert {r["status"] for r in results} <= {"success", "pass"}
    with duckdb.connect(str(warehouse_file(tmp_path)), read_only=True) as con:
        for model in (*STAGING, *MARTS):
            assert con.execute(f"select count(*) from {model}").fetchone()[0] == 0, model
        for mart, columns in COLUMNS.items():
            assert [r[0] for r in con.execute(f"describe {mart}").fetchall()] == columns


def test_republishing_a_run_replaces_it_and_other_runs_are_kept(published):
    assert published.first == published.again == published.second == {
        "fct_sweep_trials": 8, "fct_sweep_best": 2, "fct_sweep_walk_forward": 0}
    for frame in (published.before, published.after):
        assert len(frame) == 8 and not frame.duplicated(["chunk_id", "trial"]).any()
    assert published.after["loaded_at"].nunique() == 1
    assert published.after["loaded_at"].iloc[0] > published.before["loaded_at"].iloc[0]
    trials = query(published.data, "select * from fct_sweep_trials")
    counts = trials.groupby("run_id").size().to_dict()
    assert counts == {"run-1": 8, "run-2": 8}  # the stray copy of a chunk file in run-2 doubles nothing
    assert not trials.duplicated(["run_id", "chunk_id", "trial"]).any()
    kept = trials[trials.run_id == "run-1"].drop(columns="per_series").sort_values(["chunk_id", "trial"])
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), published.after.drop(columns="per_series")
                                  .sort_values(["chunk_id", "trial"]).reset_index(drop=True))
    assert len(query(published.data, "select * from fct_sweep_best where run_id = 'run-1'")) == 2


def test_the_marts_keep_the_columns_of_the_former_tables(published):
    for mart, columns in COLUMNS.items():
        assert list(query(published.data, f"select * from {mart} limit 0").columns) == columns


def test_trials_keep_params_as_json_and_metrics_as_columns(grid, published):
    sweep, _, results = grid
    row = query(published.data, "select *, params->>'fast' fast, params->>'slow' slow from fct_sweep_trials "
                                "where objective_rank = 1 and run_id = 'run-1'").iloc[0]
    top = results.loc[results["total_return"].idxmax()]
    # over both series 20/40 wins (10/20 whipsaws on the 20-bar wave), though 10/20 is best on ZIG/USD alone
    assert (row["fast"], row["slow"]) == ("20", "40") == (str(top["param_fast"]), str(top["param_slow"]))
    assert row["total_return"] == top["total_return"] and row["sharpe_ratio"] == top["sharpe_ratio"]
    assert row["n_trades"] == top["n_trades"] > 0
    assert (row["sweep"], row["spec_digest"], row["strategy"], row["method"], row["timeframe"], row["objective"]) == (
        "zig", sweep.digest(), "sma_crossover", "grid", "1m", "total_return")
    assert pd.isna(row["pareto"])  # only nsga2 has a front
    ranks = query(published.data, "select objective_rank from fct_sweep_trials where run_id = 'run-1' "
                                  "order by total_return desc")
    assert list(ranks["objective_rank"]) == list(range(1, 9))


def test_best_is_per_symbol_and_matches_direct_backtests(grid, published):
    sweep, _, results = grid
    best = query(published.data, "select * from fct_sweep_best where run_id = 'run-1' order by symbol")
    best = best.set_index("symbol")
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


def pandas_best(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per series: the first trial (by chunk_id, trial) with the highest non-NaN `metric` on that series alone."""
    rows = []
    for exchange, symbol in FRAMES:
        own = pd.DataFrame([{"chunk_id": r.chunk_id, "trial": r.trial, "params": r.params,
                             **json.loads(r.per_series)[f"{exchange} {symbol}"]}
                            for r in results.sort_values(["chunk_id", "trial"]).itertuples()])
        top = own.dropna(subset=[metric]).sort_values(metric, ascending=False, kind="stable").iloc[0]
        rows.append({"exchange": exchange, "symbol": symbol, **top.to_dict()})
    return pd.DataFrame(rows).astype({m: float for m in METRICS} | {"n_trades": "int64"})


def test_best_equals_a_plain_pandas_computation_over_the_trials(grid, published):
    _, _, results = grid
    expected = pandas_best(results, "total_return").sort_values("symbol", ignore_index=True)
    for run in ("run-1", "run-2"):
        best = query(published.data, "select * from fct_sweep_best where run_id = ? order by symbol", run)
        best = best[list(expected.columns)].astype({"n_trades": "int64", "trial": expected["trial"].dtype})
        pd.testing.assert_frame_equal(best, expected, check_exact=True)


def test_the_reports_read_the_latest_run_from_the_fct_sweep_best_export(published):
    written = export_marts(published.data, ("fct_sweep_best",))
    assert written["fct_sweep_best"][1] == 4  # two runs, two series each
    best, _ = sweeps_before(published.data, pd.Timestamp.now(tz="UTC").to_pydatetime())
    latest = query(published.data, "select * from fct_sweep_best where run_id = 'run-2' order by symbol")
    assert list(best["symbol"]) == list(latest["symbol"])
    assert list(best["objective_value"]) == list(latest["total_return"])
    assert list(best["params"]) == list(latest["params"])


def test_the_yaml_tests_run_and_catch_a_doubled_trial(published, tmp_path):
    # publish's own `dbt build` runs them (run-2's build): the results of a `dbt test` on its warehouse
    results = [r for r in published.built if r["unique_id"].startswith(("test.", "unit_test."))]
    assert results and {r["status"] for r in results} == {"pass"}
    assert {r["status"] for r in published.built if r not in results} == {"success"}  # the models it tested
    tested = " ".join(r["unique_id"] for r in results)
    for model in (*STAGING, *MARTS):
        assert f"unique_combination_{model}" in tested and f"not_null_columns_{model}_sweep" in tested
    assert "accepted_values_fct_sweep_trials_method" in tested
    copy = tmp_path / "warehouse" / "peak_trade.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse_file(published.data), copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("insert into fct_sweep_trials select * from fct_sweep_trials where objective_rank = 1 limit 1")
        con.execute("update fct_sweep_trials set params = null where objective_rank = 2")
    with pytest.raises(WarehouseError, match="unique_combination_fct_sweep_trials") as failed:
        build_sweep_models(tmp_path, "test")
    assert "not_null_columns_fct_sweep_trials" in str(failed.value)  # one test for the model's required columns
    with duckdb.connect(str(copy)) as con:  # which column, and how many rows: the test's own result
        sql = (tmp_path / "warehouse" / "dbt_target" / "compiled").rglob("not_null_columns_fct_sweep_tri*.sql")
        assert con.execute(next(sql).read_text()).fetchall() == [("params", 2)]


def test_a_failed_build_keeps_the_previous_rows_and_the_next_build_loads_the_run(grid, tmp_path):
    sweep, out, _ = grid
    run = sweep_dir(tmp_path, sweep, "r")
    shutil.copytree(out, run, ignore=shutil.ignore_patterns(MANIFEST))
    load_into_warehouse(sweep, run, tmp_path, "r")
    before = query(tmp_path, "select * from fct_sweep_trials order by chunk_id, trial")
    broken = run / f"{sweep.name}-{sweep.digest()}-9999.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(WarehouseError, match="stg_sweep_trials"):
        load_into_warehouse(sweep, run, tmp_path, "r")
    after = query(tmp_path, "select * from fct_sweep_trials order by chunk_id, trial")
    pd.testing.assert_frame_equal(after, before)  # same rows, same loaded_at
    broken.unlink()
    build_sweep_models(tmp_path)  # e.g. the next sweep's publish
    reloaded = query(tmp_path, "select * from fct_sweep_trials order by chunk_id, trial")
    assert len(reloaded) == 8 and (reloaded["loaded_at"] > before["loaded_at"]).all()


def test_results_outside_the_folder_dbt_reads_are_refused(grid, tmp_path):
    sweep, out, _ = grid
    with pytest.raises(SweepError, match="reads a run's chunk files from"):
        load_into_warehouse(sweep, out, tmp_path, "run-1")


def test_nsga2_flags_the_pareto_front_and_ranks_best_by_the_first_objective(tmp_path):
    sweep = spec(universe=UNIVERSE, method="nsga2", budget=8, chunk_size=4, seed=1,
                 params={"fast": {"low": 4, "high": 20, "step": 2}, "slow": {"low": 20, "high": 80, "step": 10},
                         "kind": "sma", "mode": "long_only"},
                 objectives=[{"total_return": "maximize"}, {"max_drawdown": "maximize"}])
    out = sweep_dir(tmp_path, sweep, "r")
    results = run_all(sweep, out)
    assert load_into_warehouse(sweep, out, tmp_path, "r")["fct_sweep_trials"] == 8
    trials = query(tmp_path, "select chunk_id, trial, pareto from fct_sweep_trials")
    front = pareto_front(results, sweep.objectives)
    flagged = trials[trials["pareto"]]
    assert set(zip(flagged["chunk_id"], flagged["trial"])) == set(zip(front["chunk_id"], front["trial"]))
    assert trials["pareto"].notna().all() and 0 < len(flagged) < 8
    best = query(tmp_path, "select symbol, total_return, objective from fct_sweep_best").set_index("symbol")
    for symbol in KNOWN_BEST:
        label = f"synth {symbol}"
        per_series = [json.loads(p)[label]["total_return"] for p in results["per_series"]]
        assert best.loc[symbol, "total_return"] == max(per_series)
        assert best.loc[symbol, "objective"] == "total_return"


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    data = tmp_path_factory.mktemp("wf")
    sweep = spec(universe=UNIVERSE, method="walk_forward", start="2024-01-01", end="2024-01-03T18:00",
                 walk_forward={"in_sample": "1d", "out_of_sample": "12h", "method": "grid", "budget": 9})
    out = sweep_dir(data, sweep, "r")
    return sweep, out, run_all(sweep, out)


def test_walk_forward_folds_land_in_their_mart(walk):
    sweep, out, results = walk
    data = out.parents[2]
    counts = load_into_warehouse(sweep, out, data, "r")
    assert counts == load_into_warehouse(sweep, out, data, "r") == {
        "fct_sweep_trials": 0, "fct_sweep_best": 0, "fct_sweep_walk_forward": 3}
    folds = query(data, "select * from fct_sweep_walk_forward order by fold")
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


def test_each_best_carries_the_overfitting_odds_of_its_run(published):
    odds = {row["symbol"]: row for row in json.loads((published.out / "overfitting.json").read_text())}
    best = query(published.data, "select * from fct_sweep_best where run_id = 'run-1' order by symbol")
    trials = query(published.data, "select count(*) as n from fct_sweep_trials where run_id = 'run-1'").n[0]
    assert set(best.symbol) == set(odds)
    for row in best.itertuples():
        expected = odds[row.symbol]
        assert (row.chunk_id, row.trial) == (expected["chunk_id"], expected["trial"])
        assert row.n_trials == trials == expected["n_trials"]
        assert row.dsr == pytest.approx(expected["dsr"]) and row.verdict == expected["verdict"]
        assert pd.isna(row.pbo)  # 3 days of 1m bars: fewer than the 16 blocks of the CSCV
