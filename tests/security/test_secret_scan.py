"""Planted secrets leave no trace: one run of every DAG, then every artefact searched.

A recognisable API key, secret and passphrase (PTSECRET-<random>) sit in the exchange Connection of a
testnet account (the Binance spot emulator in this process, which checks them) and the SMTP password in
the reports' SMTP Connection (a loopback aiosmtpd server, which checks it). Every DAG runs once through
`airflow dags test` on the simulator, as `make demo` does: ingest, backfill, warehouse_build,
nightly_sweep, both reports (emailed), rebalance and flatten_all on the testnet account, and risk_monitor
on an account whose key the venue refuses (the exception path). Then no task log, XCom value, warehouse
table, Parquet export, ledger row, report (PDF text, Excel cells), email or other file under the run's
root (data, reports, AIRFLOW_HOME, the metadata database) holds any of the secrets.
"""
import json
import secrets
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.dags.isolated_airflow import isolated_airflow
from tests.emulator import running_emulator
from tests.reports.smtp_support import CONN_ID, PASSWORD, connection_json, running_smtp_server

# One run of every DAG takes about 20 minutes on two cores: `make soak` runs it, `make test` leaves it out.
pytestmark = pytest.mark.soak

MARK = f"PTSECRET-{secrets.token_hex(8)}"
KEY, SECRET, PASSPHRASE = f"{MARK}-key", f"{MARK}-secret", f"{MARK}-passphrase"
REFUSED_KEY, REFUSED_SECRET = f"{MARK}-refused-key", f"{MARK}-refused-secret"
SECRETS = (MARK, PASSWORD)  # every planted exchange secret contains MARK
PRICES = {"BTC/USDT": "60000", "ETH/USDT": "3000"}

CONFIG = f"""
universe:
  symbols: [BTC/USDT, ETH/USDT]
  timeframes: [1h, 1d]
  exchanges: [{{id: sim_alpha, source: sim}}]
history: {{start: {{1h: 3d, 1d: 120d}}}}
ingest: {{task_retries: 0, retries: 0, retry_base_delay_s: 0}}
reports:
  recipients: [desk@example.com]
  sender: peak-trade@example.com
  smtp_conn_id: {CONN_ID}
notifications:
  email: [oncall@example.com]
portfolio: {{method: min_variance, lookback_days: 100, max_weight: 0.6, cash_buffer: 0.02}}
sweeps:
  - name: sma_grid
    strategy: sma_crossover
    universe: [{{exchange: sim_alpha, symbol: BTC/USDT}}]
    timeframe: 1h
    params: {{fast: [4, 8], slow: [20, 30], kind: sma, mode: long_only}}
    method: grid
    budget: 4
    chunk_size: 2
execution:
  venue: sim_alpha
  fill_timeout_s: 5
  risk: {{max_order_notional: 60000, max_position_weight: 0.7, max_daily_turnover: 10, min_notional: 10}}
  venues:
    testnet: {{exchange: binance, connection_id: venue_key, api_url: '{{url}}', query_interval_s: 0, require_approval: false}}
    refused: {{exchange: binance, connection_id: refused_key, api_url: '{{url}}', query_interval_s: 0, require_approval: false}}
"""
RUNS = [  # (dag id, conf): one run of every DAG
    ("market_data_ingest", None),
    ("market_data_backfill", None),
    ("warehouse_build", None),
    ("nightly_sweep", None),
    ("daily_report", None),
    ("weekly_report", None),
    ("rebalance", {"broker": "testnet", "dry_run": False}),
    ("flatten_all", {"broker": "testnet", "dry_run": False}),
    ("risk_monitor", {"broker": "refused", "dry_run": True}),
]


@pytest.fixture(scope="module")
def smtp_server():
    """The loopback SMTP server of tests/reports/smtp_support.py, once for the module; it accepts PASSWORD only."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def runs(tmp_path_factory, smtp_server):
    root = tmp_path_factory.mktemp("secret-scan")
    with running_emulator(balances={"USDT": "50000"}, prices=PRICES, api_key=KEY, secret=SECRET) as emulator:
        venue = {"conn_type": "generic", "login": KEY, "password": SECRET, "extra": {"passphrase": PASSPHRASE}}
        refused = {"conn_type": "generic", "login": REFUSED_KEY, "password": REFUSED_SECRET}
        airflow = isolated_airflow(root, CONFIG.replace("{url}", emulator.base_url),
                                   AIRFLOW_CONN_VENUE_KEY=json.dumps(venue), AIRFLOW_CONN_REFUSED_KEY=json.dumps(refused),
                                   **{"AIRFLOW_CONN_" + CONN_ID.upper(): connection_json(smtp_server)})
        assert airflow("pools set duckdb 1 'DuckDB file: one task at a time'").returncode == 0
        results = {}
        for dag_id, conf in RUNS:
            done = airflow(f"dags test {dag_id}" + ("" if conf is None else " -c '" + json.dumps(conf) + "'"))
            results[dag_id] = done
            (root / f"dags-test-{dag_id}.log").write_text(done.stdout + done.stderr)  # scanned with the rest
        yield root, results, emulator, smtp_server


def _state(root: Path, dag_id: str) -> str:
    db = sqlite3.connect(root / "airflow.db")
    return db.execute("select state from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()[0]


def test_every_dag_ran_and_the_secrets_were_used(runs):
    root, results, emulator, server = runs
    for dag_id, _ in RUNS:
        expected = "failed" if dag_id == "risk_monitor" else "success"
        assert _state(root, dag_id) == expected, (dag_id, (results[dag_id].stdout + results[dag_id].stderr)[-3000:])
    assert server.store.logins and server.store.received  # the SMTP password opened the server: reports were emailed
    ledgers = list((root / "data").rglob("*.sqlite"))
    fills = sum(sqlite3.connect(p).execute("select count(*) from sqlite_master where name = 'fills'").fetchone()[0]
                and sqlite3.connect(p).execute("select count(*) from fills").fetchone()[0] for p in ledgers)
    assert fills > 0  # the testnet key traded on the emulator
    refused = (results["risk_monitor"].stdout + results["risk_monitor"].stderr)
    assert "refused" in refused


def _texts_of(path: Path):
    """(where, text) for everything a person or a tool could read out of one file."""
    raw = path.read_bytes()
    yield str(path), raw.decode("latin-1")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        yield f"{path} (PDF text)", "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    elif suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        yield f"{path} (Excel cells)", "\n".join(str(cell) for sheet in book.worksheets
                                                 for row in sheet.iter_rows(values_only=True) for cell in row)
        book.close()
    elif suffix == ".parquet":
        yield f"{path} (Parquet cells)", pd.read_parquet(path).astype(str).to_csv()
    elif raw.startswith(b"SQLite format 3") or raw[8:12] == b"DUCK":
        yield from _database_texts(path, raw)


def _database_texts(path: Path, raw: bytes):
    if raw.startswith(b"SQLite format 3"):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        for (table,) in db.execute("select name from sqlite_master where type = 'table'"):
            rows = db.execute(f'select * from "{table}"').fetchall()
            yield f"{path}:{table}", "\n".join(repr(row) for row in rows)
    else:
        db = duckdb.connect(str(path), read_only=True)
        for schema, table in db.execute("select table_schema, table_name from information_schema.tables").fetchall():
            frame = db.execute(f'select * from "{schema}"."{table}"').df()
            yield f"{path}:{schema}.{table}", frame.astype(str).to_csv()
        db.close()


def test_no_secret_in_any_artefact(runs):
    root, *_ = runs
    # SQLite's -wal/-shm files come and go with connections; the databases themselves are queried
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(("-wal", "-shm", "-journal"))]
    kinds = {p.suffix.lower() for p in files}
    assert {".pdf", ".xlsx", ".parquet", ".duckdb", ".log", ".db"} <= kinds, sorted(kinds)  # the scan saw each kind
    leaks = [f"{where}: {secret}" for path in files for where, text in _texts_of(path)
             for secret in SECRETS if secret in text]
    assert not leaks, "secrets found:\n" + "\n".join(leaks[:30])


def test_no_secret_in_xcom_or_the_emails(runs):
    root, _, _, server = runs
    db = sqlite3.connect(root / "airflow.db")
    values = db.execute("select dag_id, task_id, value from xcom").fetchall()
    assert values, "no XCom was written: the scan would prove nothing"
    assert not [(d, t) for d, t, v in values if any(s in str(v) for s in SECRETS)]
    for mail in server.store.received:
        assert not any(s.encode() in mail.raw for s in SECRETS)


def test_the_scan_reads_inside_compressed_and_binary_files(tmp_path):
    """The scan's own check: a secret written into each artefact kind (compressed Parquet, zipped Excel,
    a DuckDB table, a SQLite row) is found, so a clean result above means none was there."""
    from openpyxl import Workbook

    planted = f"{MARK}-planted"
    pd.DataFrame({"note": [planted] * 50}).to_parquet(tmp_path / "t.parquet", compression="zstd")
    book = Workbook()
    book.active["B7"] = planted
    book.save(tmp_path / "t.xlsx")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as db:
        db.execute("create schema marts; create table marts.t as select ? as note", [planted])
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        db.execute("create table fills (note text)")
        db.execute("insert into fills values (?)", (planted,))
    for name in ("t.parquet", "t.xlsx", "w.duckdb", "l.sqlite"):
        found = [where for where, text in _texts_of(tmp_path / name) if planted in text]
        assert found, name
