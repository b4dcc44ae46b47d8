"""A run that quarantines every partition it landed fails, says so in one line, and notifies.

As a new user would meet it: Kraken's real XBTUSDC minute file added as a file exchange with
the default 5% gap tolerance (Kraken omits minutes without trades), then a backfill. Before,
the run ended green with `publish` skipped and nobody told.
"""
import json

import pytest

from tests.dags.isolated_airflow import isolated_airflow
from tests.reports.smtp_support import CONN_ID, connection_json, smtp_server  # noqa: F401
from tests.validation.support import REAL

KRAKEN = REAL / "kraken_XBTUSDC_1m_ohlcvt.csv.gz"
CONFIG = f"""
universe:
  symbols: [BTC/USDC]
  timeframes: [1m]
  exchanges:
    - id: kraken_files
      source: file
      timeframes: [1m]
      files: {{BTC/USDC: {{path: {KRAKEN}, format: kraken_ohlcvt}}}}
history: {{start: {{1m: 3d}}}}
ingest: {{task_retries: 0}}
reports: {{smtp_conn_id: {CONN_ID}, sender: peak-trade@example.com}}
notifications: {{email: [oncall@example.com]}}
execution: {{quote: USDC}}
"""


@pytest.mark.skipif(not KRAKEN.is_file(), reason=f"real-data fixture not found at {KRAKEN}")
def test_a_backfill_that_quarantines_every_day_fails_and_notifies(tmp_path, smtp_server):  # noqa: F811
    run = isolated_airflow(tmp_path, CONFIG, **{"AIRFLOW_CONN_" + CONN_ID.upper(): connection_json(smtp_server)})
    conf = json.dumps({"exchange": "kraken_files", "symbols": ["BTC/USDC"], "timeframe": "1m",
                       "start": "2023-03-08", "end": "2023-03-09"})

    result = run(f"dags test market_data_backfill -c '{conf}'")

    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert ("all 2 partitions quarantined: kraken_files BTC/USDC 1m 2023-03-08, kraken_files BTC/USDC 1m 2023-03-09; "
            "nothing was published") in output
    assert not (tmp_path / "data" / "raw").exists() or not any((tmp_path / "data" / "raw").rglob("*.parquet"))
    reasons = sorted((tmp_path / "data" / "quarantine").rglob("*.json"))
    assert len(reasons) == 2
    hint = json.loads(reasons[0].read_text())["failed_expectations"][0]["tolerate_with"]
    assert hint["setting"] == "validation.gap_ratio_overrides.kraken_files:BTC/USDC"
    [mail] = smtp_server.received  # the failure notifier of publish told the notification address
    assert mail.message["Subject"].startswith("[Peak Trade] failed: market_data_backfill.publish (run manual__")
    assert mail.rcpt_tos == ["oncall@example.com"]
