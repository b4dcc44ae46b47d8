"""A ledger per test on SQLite and on PostgreSQL (a fresh schema in the `test` database, dropped afterwards)."""
import uuid

import pytest
import sqlalchemy as sa

from include.execution.ledger import Ledger

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_engine():
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except Exception as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); the SQLite run still covers the suite")
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        led = Ledger(tmp_path / "ledger.sqlite")
        yield led
        led.close()
        return
    engine = _pg_engine()
    schema = f"exec_test_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    led = None
    try:  # the schema is dropped even when creating the tables fails
        led = Ledger(PG_URL, schema=schema)
        yield led
    finally:
        if led is not None:
            led.close()
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
