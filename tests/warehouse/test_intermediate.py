"""The intermediate layer on the real candles: resampling, consolidated price, basis, incremental runs."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from include.series import Series
from include.warehouse.dbt_runner import run_dbt, warehouse_file
from tests.warehouse.conftest import land, land_history_then_a_partial_day, query

KRAKEN = Series(exchange="kraken", symbol="BTC/USDC", timeframe="1m")
BUS_USD = Series(exchange="bus_usd", symbol="BTC/USD", timeframe="1m")
OHLC = ["open", "high", "low", "close"]


def pandas_resample(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    """first/max/min/last/sum per UTC bucket, empty buckets dropped (they are gaps)."""
    naive = frame.assign(ts=frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None)).set_index("ts")
    buckets = naive.resample(rule, origin="epoch", label="left", closed="left")
    out = buckets.agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    out["candle_count"] = buckets.size()
    out = out[out["candle_count"] > 0]
    out.index = out.index.astype("datetime64[us]")
    return out


def resampled(data_dir, series: Series, timeframe: str) -> pd.DataFrame:
    got = query(
        data_dir,
        f"""select ts, open, high, low, close, volume, candle_count, expected_count
            from int_candles_resampled
            where exchange = '{series.exchange}' and symbol = '{series.symbol}' and timeframe = '{timeframe}'
            order by ts""",
    )
    got["ts"] = got["ts"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    return got.set_index("ts")


@pytest.mark.parametrize("series", [KRAKEN, BUS_USD], ids=["kraken_BTC-USDC", "bus_usd_BTC-USD"])
@pytest.mark.parametrize(("timeframe", "rule", "expected_count"), [("1h", "1h", 60), ("1d", "1D", 1440)])
def test_resampled_equals_pandas_resample(real_warehouse, real_frames, series, timeframe, rule, expected_count):
    want = pandas_resample(real_frames[series], rule)
    got = resampled(real_warehouse, series, timeframe)

    # Same buckets: every bucket with a candle, and no row for an empty one (Kraken has real gaps).
    assert list(got.index) == list(want.index)
    # Prices and counts bit for bit; volume is a float sum whose last bits depend on the
    # summation order (DuckDB's compensated fsum vs pandas), so it gets 1e-12 relative.
    pd.testing.assert_frame_equal(got[OHLC], want[OHLC], check_exact=True, check_freq=False)
    assert (got["candle_count"].to_numpy() == want["candle_count"].to_numpy()).all()
    pd.testing.assert_series_equal(got["volume"], want["volume"], rtol=1e-12, atol=0, check_freq=False)
    assert (got["expected_count"] == expected_count).all()


def test_kraken_gaps_are_partial_or_missing_buckets_never_zero_rows(real_warehouse, real_frames):
    buckets = resampled(real_warehouse, KRAKEN, "5m")
    minutes = real_frames[KRAKEN]["timestamp"]
    with_trades = minutes.dt.floor("5min").nunique()
    span = (minutes.max().floor("5min") - minutes.min().floor("5min")) // pd.Timedelta("5min") + 1
    assert with_trades < span - 1000  # the real file has thousands of 5-minute spans without a trade
    assert len(buckets) == with_trades  # ... and they have no row, not a zero-volume one
    per_bucket = minutes.dt.tz_convert("UTC").dt.tz_localize(None).dt.floor("5min").value_counts().sort_index()
    assert list(buckets.index) == list(per_bucket.index.astype("datetime64[us]"))
    assert buckets["candle_count"].tolist() == per_bucket.tolist()  # partial buckets, counted
    assert buckets["candle_count"].max() == 5
    assert (buckets["candle_count"] < 5).sum() == (per_bucket < 5).sum() > 0
    assert buckets["volume"].min() > 0
    assert (buckets["expected_count"] == 5).all()


def hourly_basis_bps(frames) -> pd.DataFrame:
    """Each BTC/USD venue's hourly close against the venues' volume-weighted close, in bps (pandas)."""
    hourly = {s.exchange: pandas_resample(f, "1h") for s, f in frames.items() if s.symbol == "BTC/USD"}
    close = pd.DataFrame({venue: h["close"] for venue, h in hourly.items()})
    volume = pd.DataFrame({venue: h["volume"] for venue, h in hourly.items()})
    total = volume.sum(axis=1)
    weighted = (close * volume).sum(axis=1) / total
    consolidated = weighted.where(total > 0, close.mean(axis=1))
    return (close.div(consolidated, axis=0) - 1) * 1e4


def test_usdc_venue_basis_is_hundreds_of_bps_in_the_depeg_and_flat_before(real_warehouse, real_frames):
    basis = query(
        real_warehouse,
        """select exchange,
                  case when ts >= timestamptz '2023-03-11 00:00:00+00' then 'depeg' else 'calm' end as period,
                  avg(basis_bps) as mean_bps, max(abs(basis_bps)) as max_abs_bps, count(*) as n
           from int_exchange_basis
           where symbol = 'BTC/USD' and timeframe = '1h'
             and (ts >= timestamptz '2023-03-11 00:00:00+00' and ts < timestamptz '2023-03-14 00:00:00+00'
               or ts >= timestamptz '2023-03-01 00:00:00+00' and ts < timestamptz '2023-03-06 00:00:00+00')
           group by all""",
    ).set_index(["exchange", "period"])
    want = hourly_basis_bps(real_frames)
    periods = {"depeg": want.loc["2023-03-11":"2023-03-13"], "calm": want.loc["2023-03-01":"2023-03-05"]}
    for (venue, period), row in basis.iterrows():
        bps = periods[period][venue]
        assert row["n"] == len(bps)
        assert row["mean_bps"] == pytest.approx(bps.mean(), rel=1e-9), (venue, period)
        assert row["max_abs_bps"] == pytest.approx(bps.abs().max(), rel=1e-9), (venue, period)
    usdc_depeg = basis.loc[("bus_usdc", "depeg")]
    usdc_calm = basis.loc[("bus_usdc", "calm")]
    assert usdc_depeg["n"] == 72 and usdc_calm["n"] == 120
    assert usdc_depeg["mean_bps"] > 200  # USDC below its peg: BTC costs more USDC
    assert usdc_depeg["max_abs_bps"] > 1000
    assert abs(usdc_calm["mean_bps"]) < 5 and usdc_calm["max_abs_bps"] < 20
    for other in ("bus_usd", "bus_usdt"):
        assert abs(basis.loc[(other, "depeg")]["mean_bps"]) < usdc_depeg["mean_bps"] / 3


def test_consolidated_price_is_the_volume_weighted_close(real_warehouse, real_frames):
    ts = pd.Timestamp("2023-03-11 12:00", tz="UTC")
    closes, volumes = [], []
    for series, frame in real_frames.items():
        if series.symbol == "BTC/USD":
            row = frame[frame["timestamp"] == ts].iloc[0]
            closes.append(row["close"])
            volumes.append(row["volume"])
    want = sum(c * v for c, v in zip(closes, volumes)) / sum(volumes)
    got = query(
        real_warehouse,
        "select consolidated_close, n_venues from int_consolidated_price "
        "where symbol = 'BTC/USD' and timeframe = '1m' and ts = timestamptz '2023-03-11 12:00:00+00'",
    )
    assert got["n_venues"].item() == 3
    assert got["consolidated_close"].item() == pytest.approx(want, rel=1e-12)


def test_incremental_run_equals_full_refresh(tmp_path, real_frames):
    """Build on data ending mid-day, land the rest of that day and one more, run incrementally;
    the table must equal a --full-refresh, and a bucket older than the reprocessed ones must
    not have been recomputed (it is tampered with in between and stays tampered)."""
    first_cut = pd.Timestamp("2023-03-03 13:37", tz="UTC")
    end = pd.Timestamp("2023-03-05 00:00", tz="UTC")
    start = pd.Timestamp("2023-03-01 00:00", tz="UTC")
    picked = {s: f for s, f in real_frames.items() if s in (KRAKEN, BUS_USD)}

    land_history_then_a_partial_day(tmp_path, picked, start, first_cut.normalize(), first_cut)
    run_dbt(["run", "--select", "stg_candles", "int_candles_resampled"], tmp_path)
    # landed_through: the watermark of the run that wrote the row (older rows keep the first run's)
    table = "select * exclude (landed_through) from int_candles_resampled order by exchange, symbol, timeframe, ts"
    first = query(tmp_path, table)
    assert first["ts"].max() < first_cut
    with duckdb.connect(str(warehouse_file(tmp_path))) as con:
        con.execute(
            "update int_candles_resampled set volume = -1 where exchange = 'bus_usd' "
            "and timeframe = '1h' and ts = timestamptz '2023-03-01 00:00:00+00'"
        )

    land(tmp_path, picked, first_cut.normalize(), end)  # rewrites the partial 03-03 partition, adds 03-04
    run_dbt(["run", "--select", "stg_candles", "int_candles_resampled"], tmp_path)
    incremental = query(tmp_path, table)
    run_dbt(["run", "--full-refresh", "--select", "int_candles_resampled"], tmp_path)
    full = query(tmp_path, table)

    tampered = (
        (incremental["exchange"] == "bus_usd") & (incremental["timeframe"] == "1h")
        & (incremental["ts"] == pd.Timestamp("2023-03-01", tz="UTC"))
    )
    assert incremental.loc[tampered, "volume"].tolist() == [-1]  # old buckets are not rebuilt
    first_hour = picked[BUS_USD]
    first_hour = first_hour[(first_hour["timestamp"] >= start) & (first_hour["timestamp"] < start + pd.Timedelta(hours=1))]
    assert full.loc[tampered, "volume"].item() == pytest.approx(first_hour["volume"].sum(), rel=1e-12)
    assert len(full) > len(first) and full["ts"].max() == pd.Timestamp("2023-03-04 23:55", tz="UTC")
    # The 03-03 day bucket was partial after the first run and is complete now.
    day = (full["exchange"] == "bus_usd") & (full["timeframe"] == "1d") & (full["ts"] == pd.Timestamp("2023-03-03", tz="UTC"))
    assert full.loc[day, "candle_count"].item() == 1440
    keep = ~tampered
    pd.testing.assert_frame_equal(
        incremental[keep].reset_index(drop=True), full[keep].reset_index(drop=True), check_exact=False, rtol=1e-12
    )
    exact = ["exchange", "symbol", "timeframe", "source_timeframe", "ts", *OHLC, "candle_count", "expected_count"]
    pd.testing.assert_frame_equal(incremental.loc[keep, exact].reset_index(drop=True), full.loc[keep, exact].reset_index(drop=True), check_exact=True)
