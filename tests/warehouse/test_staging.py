"""The staging layer over the real candles: typed, unified symbols, one row per key."""
from tests.warehouse.conftest import query


def test_staging_holds_every_real_candle_once(real_warehouse, real_frames):
    counts = query(real_warehouse, "select exchange, symbol, count(*) as n from stg_candles group by all")
    got = {(r.exchange, r.symbol): r.n for r in counts.itertuples()}
    want = {(s.exchange, s.symbol): len(f) for s, f in real_frames.items()}
    assert got == want
    assert got[("kraken", "BTC/USDC")] == 56_717  # gaps stay gaps


def test_staging_types(real_warehouse):
    types = query(real_warehouse, "select column_name, data_type from information_schema.columns where table_name = 'stg_candles'")
    kinds = dict(zip(types["column_name"], types["data_type"]))
    assert kinds["ts"] == "TIMESTAMP WITH TIME ZONE"
    assert kinds["close"] == "DOUBLE" and kinds["symbol"] == "VARCHAR"


def test_incremental_staging_reloads_only_new_or_rewritten_files_and_drops_removed_ones(tmp_path, real_frames):
    """Day files land, one is rewritten (a partial day completed), one is removed; the table
    follows the files exactly, and files that did not change are not reloaded."""
    import os
    import shutil

    import pandas as pd

    from include.landing.store import period_file
    from include.paths import DataPaths
    from include.series import Series
    from include.warehouse.dbt_runner import run_dbt
    from tests.warehouse.conftest import write_raw

    series = Series(exchange="bus_usd", symbol="BTC/USD", timeframe="1m")
    frame = real_frames[series]

    def between(start, end):
        ts = frame["timestamp"]
        picked = (ts >= pd.Timestamp(start, tz="UTC")) & (ts < pd.Timestamp(end, tz="UTC"))
        return {series: frame[picked].reset_index(drop=True)}

    table = "select * exclude (source_modified) from stg_candles order by ts"
    write_raw(tmp_path, between("2023-03-01", "2023-03-03 12:00"))
    run_dbt(["run", "--select", "stg_candles"], tmp_path)
    loaded = query(tmp_path, "select source_file, any_value(source_modified) as at from stg_candles group by 1")
    write_raw(tmp_path, between("2023-03-03", "2023-03-05"))  # completes 03-03, adds 03-04
    shutil.rmtree(period_file(DataPaths(tmp_path).raw, series, "2023-03-01").parent)
    run_dbt(["run", "--select", "stg_candles"], tmp_path)

    staged = query(tmp_path, table)
    kept = frame[(frame["timestamp"] >= pd.Timestamp("2023-03-02", tz="UTC")) & (frame["timestamp"] < pd.Timestamp("2023-03-05", tz="UTC"))]
    assert staged["ts"].tolist() == kept["timestamp"].tolist()
    assert staged["close"].tolist() == kept["close"].astype(float).tolist()
    unchanged = query(tmp_path, "select source_file, any_value(source_modified) as at from stg_candles group by 1")
    day_two = next(f for f in unchanged["source_file"] if "period=2023-03-02" in f)
    assert unchanged.set_index("source_file").loc[day_two, "at"] == loaded.set_index("source_file").loc[day_two, "at"]
    assert os.path.basename(os.path.dirname(day_two)) == "period=2023-03-02"

    run_dbt(["run", "--full-refresh", "--select", "stg_candles"], tmp_path)
    pd.testing.assert_frame_equal(query(tmp_path, table), staged)


def test_staging_decodes_every_symbol_form_the_store_encodes(tmp_path):
    """Swap, inverse, dated future, option and dashed ids land under symbol_key's names and read back exactly."""
    import pandas as pd

    from include.series import Series
    from include.landing.store import symbol_key
    from include.warehouse.dbt_runner import run_dbt
    from tests.warehouse.conftest import write_raw

    symbols = ["BTC/USDT", "BTC/USDT:USDT", "BTC/USD:BTC", "BTC/USDT:USDT-250328", "BTC/USD:BTC-250328-60000-C",
               "1000PEPE/USDT:USDT", "BTC-PERP", "ETH_BTC"]
    stamps = pd.date_range("2024-03-01", periods=3, freq="1min", tz="UTC").astype("datetime64[ms, UTC]")
    candles = pd.DataFrame({"timestamp": stamps, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0})
    write_raw(tmp_path, {Series(exchange="okx", symbol=s, timeframe="1m"): candles for s in symbols})
    assert symbol_key("BTC/USDT:USDT") == "BTC-USDT_USDT"  # the swap's folder: symbol=BTC-USDT_USDT

    run_dbt(["run", "--select", "stg_candles"], tmp_path)
    staged = query(tmp_path, "select symbol, count(*) as n from stg_candles group by symbol")
    assert dict(zip(staged["symbol"], staged["n"])) == {s: 3 for s in symbols}


def test_staging_reads_month_and_day_partitions_side_by_side_and_reloads_only_a_rewritten_month(tmp_path):
    """Hourly series are stored one file per month, minute series one per day; the one source glob reads
    both, trade_date is the candle's UTC day, and appending an hour rewrites (and reloads) one month only."""
    import pandas as pd

    from include.landing.store import stored_periods
    from include.paths import DataPaths
    from include.series import Series
    from include.warehouse.dbt_runner import run_dbt
    from tests.warehouse.conftest import write_raw

    def candles(start, periods, freq):
        stamps = pd.date_range(start, periods=periods, freq=freq, tz="UTC").astype("datetime64[ms, UTC]")
        return pd.DataFrame({"timestamp": stamps, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0})

    hourly = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1h")
    minute = Series(exchange="sim_alpha", symbol="BTC/USDT", timeframe="1m")
    write_raw(tmp_path, {hourly: candles("2024-02-27", 5 * 24, "h"), minute: candles("2024-02-29 23:58", 4, "min")})
    raw = DataPaths(tmp_path).raw
    assert stored_periods(raw, hourly) == ["2024-02", "2024-03"]
    assert stored_periods(raw, minute) == ["2024-02-29", "2024-03-01"]

    run_dbt(["run", "--select", "stg_candles"], tmp_path)
    files = "select source_file, any_value(source_modified) as at, count(*) as n from stg_candles group by 1 order by 1"
    first = query(tmp_path, files)
    staged = query(tmp_path, "select timeframe, ts, trade_date from stg_candles")
    assert [n for n in first["n"]] == [3 * 24, 2 * 24, 2, 2]  # hourly Feb, Mar; minute days
    assert (pd.to_datetime(staged["trade_date"]).dt.date == staged["ts"].dt.tz_convert("UTC").dt.date).all()

    write_raw(tmp_path, {hourly: candles("2024-03-03", 1, "h")})  # the next hour: merged into March
    run_dbt(["run", "--select", "stg_candles"], tmp_path)

    second = query(tmp_path, files)
    assert second["n"].tolist() == [3 * 24, 2 * 24 + 1, 2, 2]
    changed = second.set_index("source_file")["at"] != first.set_index("source_file")["at"]
    assert [f.split("/timeframe=")[1] for f in changed[changed].index] == ["1h/period=2024-03/candles.parquet"]
