"""The validate step's log starts with what happened; Great Expectations' chatter never shows above it.

The step runs in a fresh interpreter (GX logs 214 lines when it is first imported, which a
pytest process that imported it already would hide) with the root logger at DEBUG, the
worst case: every record any logger lets through is printed, one per line, as
`<logger>|<level>|<message>`.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from include.logging_quiet import NOISY_LIBRARIES, library_level, quiet_libraries
from tests.conftest import REPO

MARK = "---- validate starts"
SCRIPT = textwrap.dedent(f"""
    import logging, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s|%(levelname)s|%(message)s")
    from datetime import datetime, timezone
    from pathlib import Path
    from include.config.loader import parse_config
    from include.ingest import land, plan_incremental, validate, validation_line

    root = Path(sys.argv[1])
    config = parse_config({{
        "data_dir": str(root / "data"), "reports": {{"dir": str(root / "reports")}},
        "universe": {{"symbols": ["BTC/USDT"], "timeframes": ["1h"],
                     "exchanges": [{{"id": "sim_alpha", "source": "sim"}}, {{"id": "sim_beta", "source": "sim"}}]}},
        "history": {{"start": {{"1h": "2d"}}}},
    }})
    now = datetime(2024, 3, 3, 0, 30, tzinfo=timezone.utc)
    landings = [land(config, job, "quiet_run") for job in plan_incremental(config, now)]
    print("{MARK}", flush=True)
    outcome = validate(config, landings[0])
    logging.getLogger("operators.ingest_tasks").info(validation_line(outcome))
""")


@pytest.fixture(scope="module")
def validate_log(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp("quiet")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(root),
           "PEAKTRADE_DATA_DIR": str(root / "data"), "PEAKTRADE_REPORTS_DIR": str(root / "reports")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert MARK in lines, done.stdout[-2000:]
    return lines[lines.index(MARK) + 1:] + done.stderr.splitlines()


def test_validate_log_starts_with_the_summary(validate_log):
    first = validate_log[0]
    logger, level, message = first.split("|", 2)
    assert (logger, level) == ("operators.ingest_tasks", "INFO"), validate_log[:5]
    assert message.startswith("sim_alpha BTC/USDT 1h: ")
    for part in ("candles in", "partitions:", "passed", "flagged", "to quarantine", "report (written by publish): "):
        assert part in message, message
    assert message.rstrip().endswith("/reports/data_quality/runs/quiet_run.html"), message


def test_no_library_noise_in_the_validate_log(validate_log):
    noisy = [line for line in validate_log if line.split("|", 1)[0].split(".")[0] in NOISY_LIBRARIES]
    assert noisy == [], f"{len(noisy)} library lines, first: {noisy[:3]}"
    assert len(validate_log) == 1, validate_log[:10]  # the summary is the whole log of the step


def test_the_library_level_can_be_raised_and_rejects_a_typo(monkeypatch):
    import logging

    monkeypatch.setenv("PEAKTRADE_LIBRARY_LOG_LEVEL", "debug")
    assert library_level() == logging.DEBUG
    monkeypatch.setenv("PEAKTRADE_LIBRARY_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="PEAKTRADE_LIBRARY_LOG_LEVEL='LOUD' is not a log level"):
        library_level()
    monkeypatch.delenv("PEAKTRADE_LIBRARY_LOG_LEVEL")
    quiet_libraries()
    assert logging.getLogger("great_expectations.expectations.registry").getEffectiveLevel() == logging.WARNING
