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
