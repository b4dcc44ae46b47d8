"""The shipped config's walk-forward sweep, run as nightly_sweep's tasks run it (plan, chunks, publish)
on a year of the simulator's hourly bars: per-fold in-sample and out-of-sample rows land in the
warehouse, out of sample first, with the scheme, the purge and the exact windows."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from include.checked_config import parse_checked_config
from include.config.loader import config_path
from include.paths import DataPaths, run_key
from include.reports.export_readers import walk_forward_before
from include.sources.sim.exchange import SimExchange
from include.sweeps.pipeline import plan_sweeps, publish_sweeps, run_sweep_chunk
from include.sweeps.spec import METRICS
from include.timeframes import to_ms
from include.warehouse.dbt_runner import warehouse_file

REFERENCE = datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc)  # the nightly run's data interval end
RUN_ID = "scheduled__2024-06-01T02:00:00+00:00"
HOUR_MS = 3_600_000


def shipped_walk_forward() -> tuple[dict, dict]:
    raw = yaml.safe_load(config_path().read_text())
    sweep = next(s for s in raw["sweeps"] if s["method"] == "walk_forward")
    return raw, sweep


def export_sim_bars(data_dir, sweep, seed: int) -> None:
    """The simulator's 1h candles before REFERENCE (a year and a few days) in fct_features' export shape."""
    now = to_ms(REFERENCE)
    rows = []
    for ref in sweep["universe"]:
        client = SimExchange(ref["exchange"], seed, clock=lambda: now - 1)  # the forming bar is not there yet
        since = now - 370 * 24 * HOUR_MS
        while since < now:
            candles = client.fetch_ohlcv(ref["symbol"], sweep["timeframe"], since=since, limit=1000)
            if not len(candles):
                break
            rows.append(pd.DataFrame(candles, columns=["ts", "open", "high", "low", "close", "volume"]).assign(
                exchange=ref["exchange"], symbol=ref["symbol"], timeframe=sweep["timeframe"]))
            since = int(candles[-1, 0]) + HOUR_MS
    frame = pd.concat(rows, ignore_index=True)
    frame["ts"] = pd.to_datetime(frame["ts"], unit="ms", utc=True)
    path = DataPaths(data_dir).export("fct_features")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    data = tmp_path_factory.mktemp("nightly")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PEAKTRADE_DATA_DIR", str(data))
        raw, sweep = shipped_walk_forward()
        config = parse_checked_config(raw, strategies=True)
        export_sim_bars(data, sweep, config.simulator.seed)
        chunks = plan_sweeps(config, [sweep["name"]], REFERENCE)
        files = [run_sweep_chunk(config, chunk, RUN_ID, REFERENCE) for chunk in chunks]
        summary = publish_sweeps(config, [sweep["name"]], RUN_ID, REFERENCE)
        with duckdb.connect(str(warehouse_file(data)), read_only=True) as con:
            folds = con.execute("select * from fct_sweep_walk_forward order by fold").df()
        yield sweep, chunks, files, summary, folds, data


def test_the_shipped_sweep_is_a_relative_rolling_walk_forward(nightly):
    sweep, chunks, files, _, _, _ = nightly
    assert sweep["start"] == "365d" and "end" not in sweep and sweep["walk_forward"]["scheme"] == "rolling"
    assert len(chunks) == len(files) == 9  # (365 - 90 - 30) / 30 + 1 folds of the year before the run


def test_every_fold_lands_with_in_and_out_of_sample_metrics_out_of_sample_first(nightly):
    sweep, _, _, summary, folds, _ = nightly
    assert summary[sweep["name"]]["tables"]["fct_sweep_walk_forward"] == 9
    assert list(folds["fold"]) == list(range(9)) and (folds["run_id"] == run_key(RUN_ID)).all()
    columns = list(folds.columns)
    assert columns.index("oos_sharpe_ratio") < columns.index("oos_n_trades") < columns.index("is_sharpe_ratio")
    assert (folds["scheme"] == "rolling").all() and (folds["purge_bars"] == 24).all()
    assert (folds["embargo_bars"] == 0).all() and (folds["test_groups"] == "[]").all()
    for m in METRICS:
        both = folds[f"oos_{m}"].notna() & folds[f"is_{m}"].notna()
        assert both.any(), m
        np.testing.assert_allclose(folds.loc[both, f"degradation_{m}"],
                                   (folds[f"oos_{m}"] - folds[f"is_{m}"])[both], rtol=1e-12)
    assert folds["is_n_trades"].sum() > 0 and folds["oos_n_trades"].sum() > 0


def test_the_windows_are_the_year_before_the_reference_purged_by_a_day(nightly):
    _, _, _, _, folds, _ = nightly
    end = pd.Timestamp(REFERENCE)
    assert pd.Timestamp(folds["in_sample_start"].iloc[0]) == end - pd.Timedelta(days=365)
    assert pd.Timestamp(folds["out_of_sample_end"].iloc[-1]) <= end
    for row in folds.itertuples():
        (train_from, train_to), = json.loads(row.train_windows)
        (test_from, test_to), = json.loads(row.test_windows)
        assert pd.Timestamp(train_from) == pd.Timestamp(row.in_sample_start)
        assert pd.Timestamp(train_to) == pd.Timestamp(row.in_sample_end)
        assert pd.Timestamp(test_from) - pd.Timestamp(train_to) == pd.Timedelta(days=1)  # the purge
        assert pd.Timestamp(test_to) - pd.Timestamp(test_from) == pd.Timedelta(days=30)


def test_the_reports_read_the_run_out_of_sample_first(nightly):
    sweep, _, _, _, folds, data = nightly
    summary = walk_forward_before(data, datetime.now(timezone.utc))
    assert list(summary["sweep"]) == [sweep["name"]] and list(summary["folds"]) == [9]
    assert summary["oos_sharpe_ratio"].iloc[0] == pytest.approx(folds["oos_sharpe_ratio"].mean())
    assert list(summary.columns).index("oos_sharpe_ratio") < list(summary.columns).index("is_sharpe_ratio")
