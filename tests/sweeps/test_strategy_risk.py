"""Per-strategy rows in the risk marts: a sweep's best out-of-sample run, its daily returns exported at
publish, the same risk metrics as the symbols (fct_strategy_risk_metrics)."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from include.backtest.result import performance
from include.metrics import risk
from include.sweeps import collect, parse_spec, plan_chunks, run_chunk
from include.sweeps.inputs import sweep_dir
from include.sweeps.publish import MANIFEST, load_into_warehouse, manifest
from include.sweeps.strategy_returns import account_returns, export_strategy_returns, strategy_returns_path
from include.timeframes import periods_per_year
from include.warehouse.dbt_runner import warehouse_file
from tests.sweeps.test_walk_forward import hourly

BINANCE = {key: frame for key, frame in hourly().items() if key[0].startswith("bus_")}  # BTCUSDT, BTCUSDC, BTCUSD
COMMON = {
    "strategy": "sma_crossover",
    "universe": [{"exchange": e, "symbol": s} for e, s in BINANCE],
    "timeframe": "1h",
    "start": "2023-03-01", "end": "2023-03-22",
    "params": {"fast": [3, 6], "slow": [24], "kind": "sma", "mode": "long_only"},
}
METRICS = ("n_returns", "total_return", "annual_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown",
           "var_hist_95", "cvar_gaussian_99", "skewness")


def walk_forward_spec():
    return parse_spec(COMMON | {"name": "wf_pbt", "method": "walk_forward", "score": "portfolio",
                                "walk_forward": {"in_sample": "5d", "out_of_sample": "4d", "method": "grid",
                                                 "budget": 2}})


def grid_spec():
    return parse_spec(COMMON | {"name": "grid_pbt", "method": "grid"})


def run_and_export(spec, data):
    out = sweep_dir(data, spec, "run-1")
    for chunk in plan_chunks(spec, len(spec.universe)):
        run_chunk(spec, chunk, BINANCE, out)
    export_strategy_returns(spec, BINANCE, collect(out, spec), out, "run-1")
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data = tmp_path_factory.mktemp("strategy-risk")
    grid_out = run_and_export(grid_spec(), data)
    # the grid's manifest only: the one dbt build below (publishing the walk-forward run) loads both runs
    (grid_out / MANIFEST).write_text(json.dumps(manifest(grid_spec(), "run-1")))
    wf_out = run_and_export(walk_forward_spec(), data)
    load_into_warehouse(walk_forward_spec(), wf_out, data, "run-1")
    with duckdb.connect(str(warehouse_file(data)), read_only=True) as con:
        rows = con.execute("select * from fct_strategy_risk_metrics").df()
    return wf_out, grid_out, rows


def test_the_out_of_sample_run_is_the_folds_windows_chained(published):
    wf_out, _, _ = published
    spec = walk_forward_spec()
    exported = pd.read_parquet(strategy_returns_path(wf_out))
    folds = collect(wf_out, spec).sort_values("fold")
    parts = []
    for fold in folds.itertuples():
        returns = account_returns(spec, BINANCE, json.loads(fold.params), fold.in_sample_start, fold.out_of_sample_end)
        parts.append(returns[returns.index >= fold.out_of_sample_start])
        # score: portfolio: the fold's out-of-sample figures are the account's on those bars, not the sleeves'
        oos = performance(parts[-1].to_numpy(), periods_per_year(spec.timeframe))
        assert fold.oos_sharpe_ratio == pytest.approx(oos["sharpe_ratio"], rel=1e-9, abs=1e-12)
        assert fold.oos_total_return == pytest.approx(oos["total_return"], rel=1e-9, abs=1e-12)
    chained = pd.concat(parts)
    daily = (1 + chained).groupby(chained.index.normalize()).prod() - 1
    assert len(folds) >= 3 and exported["is_out_of_sample"].all()
    assert list(exported["trade_date"]) == list(daily.index.date)
    pd.testing.assert_series_equal(exported["daily_return"], pd.Series(daily.to_numpy(), name="daily_return"),
                                   rtol=1e-12)
    assert pd.Timestamp(exported["trade_date"].iloc[0], tz="UTC") == folds["out_of_sample_start"].min().normalize()


def test_one_row_per_strategy_with_the_symbols_risk_metrics(published):
    wf_out, _, rows = published
    assert len(rows) == 1  # two sweeps of one strategy: the out-of-sample run wins
    row = rows.iloc[0]
    assert (row["strategy"], row["sweep"], row["is_out_of_sample"], row["score"]) == (
        "sma_crossover", "wf_pbt", True, "portfolio")
    exported = pd.read_parquet(strategy_returns_path(wf_out))
    dates = pd.to_datetime(exported["trade_date"])
    want = risk.risk_metrics(pd.Series(exported["daily_return"].to_numpy(), index=dates), 365,
                             start=dates.iloc[0] - pd.Timedelta(days=1))
    for name in METRICS:
        assert row[name] == pytest.approx(want[name], rel=1e-9, abs=1e-12), name
    assert pd.isna(row["beta"])  # no benchmark for a strategy


def test_an_in_sample_sweep_exports_its_best_trial(published):
    _, grid_out, _ = published
    exported = pd.read_parquet(strategy_returns_path(grid_out))
    assert not exported["is_out_of_sample"].any() and exported["sweep"].eq("grid_pbt").all()
    assert len(exported) == 21  # every UTC day of the window
