"""Walk-forward on the real March 2023 candles (resampled to 1h): folds, chosen params, degradation."""
from __future__ import annotations

import json
import math
from functools import cache

import numpy as np
import pandas as pd
import pytest

from include.backtest import run_backtest
from include.backtest.result import performance
from include.sweeps import best, collect, parse_spec, plan_chunks, run_chunk, walk_forward_summary
from include.sweeps.spec import METRICS
from include.timeframes import periods_per_year

OHLCV = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


@cache
def hourly() -> dict[tuple[str, str], pd.DataFrame]:
    from tests.warehouse.conftest import real_candles

    out = {}
    for series, frame in real_candles().items():
        bars = frame.set_index("timestamp").resample("1h").agg(OHLCV).dropna(subset=["close"])
        out[(series.exchange, series.symbol)] = bars.reset_index().rename(columns={"timestamp": "ts"})
    return out


def sweep_spec():
    return parse_spec({
        "name": "wf_real",
        "strategy": "sma_crossover",
        "universe": [{"exchange": e, "symbol": s} for e, s in hourly()],
        "timeframe": "1h",
        "start": "2023-03-01", "end": "2023-03-22",
        "params": {"fast": [3, 6, 12], "slow": [24, 48], "kind": "sma", "mode": "long_only"},
        "method": "walk_forward",
        "walk_forward": {"in_sample": "5d", "out_of_sample": "2d", "method": "grid", "budget": 6},
    })


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    out = tmp_path_factory.mktemp("wf")
    spec = sweep_spec()
    chunks = plan_chunks(spec, len(spec.universe))
    for chunk in chunks:
        run_chunk(spec, chunk, hourly(), out)
    return spec, chunks, collect(out, spec)


def window(frame, start, end):
    ts = frame["ts"]
    return frame[(ts >= start) & (ts < end)].reset_index(drop=True)


def test_one_row_per_fold_with_back_to_back_out_of_sample_windows(walk):
    spec, chunks, results = walk
    assert len(chunks) == 8 and list(results["fold"]) == list(range(8))  # (21 days - 5) / 2
    for row in results.itertuples():
        assert row.in_sample_start < row.in_sample_end <= row.out_of_sample_start < row.out_of_sample_end
        assert row.out_of_sample_start == row.in_sample_end
    starts, ends = results["out_of_sample_start"].iloc[1:], results["out_of_sample_end"].iloc[:-1]
    assert (starts.to_numpy() == ends.to_numpy()).all()
    assert results["out_of_sample_end"].max() <= pd.Timestamp("2023-03-22", tz="UTC")
    assert (results["inner_trials"] == 6).all()


def test_in_sample_is_the_best_of_the_inner_grid_on_in_sample_bars_only(walk):
    spec, _, results = walk
    row = results.iloc[3]
    costs = spec.costs.to_costs()

    def mean_is(params):
        runs = [run_backtest(window(f, row.in_sample_start, row.in_sample_end), "sma_crossover", params, costs,
                             timeframe="1h", check_lookahead=False).metrics for f in hourly().values()]
        return {m: float(np.mean([r[m] for r in runs])) for m in METRICS}

    grid = [{"fast": f, "slow": s} for f in (3, 6, 12) for s in (24, 48)]
    scores = [mean_is(p)["sharpe_ratio"] for p in grid]
    chosen = json.loads(row["params"])
    assert (chosen["fast"], chosen["slow"]) == tuple(grid[int(np.nanargmax(scores))].values())
    expected = mean_is(chosen)
    for m in METRICS:
        assert row[f"is_{m}"] == pytest.approx(expected[m], rel=1e-12, nan_ok=True)


def hours_with_candles(key, start, end) -> int:
    """Distinct hours in [start, end) with at least one 1m candle of the series, from the raw candles."""
    from tests.warehouse.conftest import real_candles

    minutes = next(frame["timestamp"] for series, frame in real_candles().items()
                   if (series.exchange, series.symbol) == key)
    return minutes[(minutes >= start) & (minutes < end)].dt.floor("1h").nunique()


def closed_long_trades_entered_from(bars, params, first) -> int:
    """Long-only SMA crossover, written out: long from the bar after fast closes above slow, flat from the
    bar after it closes below (a tie keeps the state); trades entered at bar >= first and left in the data."""
    fast = bars["close"].rolling(params["fast"]).mean().to_numpy()
    slow = bars["close"].rolling(params["slow"]).mean().to_numpy()
    long, held_since, count = False, None, 0
    for j in range(len(bars) - 1):  # the decision at bar j's close fills at bar j+1's open
        if not (np.isnan(fast[j]) or np.isnan(slow[j])):
            long = True if fast[j] > slow[j] else False if fast[j] < slow[j] else long
        if long and held_since is None:
            held_since = j + 1
        elif not long and held_since is not None:
            count += held_since >= first
            held_since = None
    return count


def test_out_of_sample_is_measured_on_the_out_of_sample_bars_only(walk):
    spec, _, results = walk
    row = results.loc[results["oos_n_trades"].idxmax()]  # a fold that traded out of sample
    assert json.loads(row["params"])["mode"] == "long_only"  # what closed_long_trades_entered_from follows
    per_series = []
    expected_trades = 0
    for key, frame in hourly().items():
        bars = window(frame, row.in_sample_start, row.out_of_sample_end)
        run = run_backtest(bars, "sma_crossover", json.loads(row["params"]), spec.costs.to_costs(),
                           timeframe="1h", check_lookahead=False)
        first = int((bars["ts"] < row.out_of_sample_start).sum())
        metrics = performance(run.returns.to_numpy()[first:], periods_per_year("1h"))
        closed = run.trades[run.trades["exit_reason"] != "open"]
        metrics["n_trades"] = int((closed["entry_ts"] >= row.out_of_sample_start).sum())
        per_series.append(metrics)
        assert len(bars) - first == hours_with_candles(key, row.out_of_sample_start, row.out_of_sample_end)
        assert metrics["n_trades"] == closed_long_trades_entered_from(bars, json.loads(row["params"]), first)
        expected_trades += metrics["n_trades"]
    for m in METRICS:
        assert row[f"oos_{m}"] == pytest.approx(np.mean([p[m] for p in per_series]), rel=1e-12, nan_ok=True)
    assert row["oos_n_trades"] == expected_trades == 8  # two round trips on each of the four series


def test_degradation_is_out_of_sample_minus_in_sample(walk):
    _, _, results = walk
    for m in METRICS:
        np.testing.assert_array_equal(results[f"degradation_{m}"], results[f"oos_{m}"] - results[f"is_{m}"])
    ratio = results["degradation_ratio_sharpe_ratio"]
    positive = results["is_sharpe_ratio"] > 0
    np.testing.assert_allclose(ratio[positive], (results["oos_sharpe_ratio"] / results["is_sharpe_ratio"])[positive])
    assert ratio[~positive].isna().all()
    drawdown_ratio = results["degradation_ratio_max_drawdown"]
    deep = results["is_max_drawdown"] < 0
    np.testing.assert_allclose(drawdown_ratio[deep], (results["oos_max_drawdown"] / results["is_max_drawdown"])[deep])


def test_summary_averages_the_folds(walk):
    spec, _, results = walk
    summary = walk_forward_summary(results)
    assert best(results, spec).equals(summary.folds)
    assert list(summary.folds["fold"]) == list(range(8))
    for m in ("sharpe_ratio", "total_return", "max_drawdown"):
        values = results[f"degradation_{m}"].to_numpy()
        assert summary.mean_degradation[m] == pytest.approx(np.mean(values[np.isfinite(values)]))
        assert math.isfinite(summary.mean_out_of_sample[m])
