"""Cron strings and gap-ratio overrides fail in the config check, named by key path, with what is valid.

Before these checks a bad cron loaded and broke one DAG's import in Airflow's words, and a
misspelled override key (or a ratio of 8 for 0.8) was silently never used.
"""
import re
from pathlib import Path

import pytest
import yaml

from include.checked_config import parse_checked_config
from include.config.loader import DEFAULT_CONFIG, parse_config
from include.errors import ConfigError
from tests.config.support import config

VALID_SCHEDULES = "valid: a five-field cron expression"


def fails(raw: dict, *messages: str, checked: bool = False) -> str:
    with pytest.raises(ConfigError) as caught:
        (parse_checked_config if checked else parse_config)(raw)
    for message in messages:
        assert message in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("key, cron, problem", [
    ("ingest", "0 * * *", "'0 * * *' has 4 fields, not 5"),
    ("nightly_sweep", "0 25 * * *", "'0 25 * * *' is not a valid cron expression"),  # hour out of range
    ("daily_report", "30 6 * 13 *", "'30 6 * 13 *' is not a valid cron expression"),  # month out of range
    ("weekly_report", "every monday", "'every monday' has 2 fields, not 5"),
    ("weekly_report", "0 7 31 2 *", "'0 7 31 2 *' never fires"),
    ("ingest", "@hourlyy", "'@hourlyy' is not a valid cron expression"),
])
def test_a_bad_cron_in_schedules_names_its_key(key, cron, problem):
    fails(config(schedules={key: cron}), f"schedules.{key}: {problem}", VALID_SCHEDULES, "@hourly")


def test_a_bad_monitor_schedule_names_its_key():
    fails(config(execution={"monitor_schedule": "*/15 * * *"}),
          "execution.monitor_schedule: '*/15 * * *' has 4 fields, not 5", VALID_SCHEDULES, checked=True)


@pytest.mark.parametrize("cron", ["@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@once",
                                  "0 2 * * *", "*/15 * * * *", "0 7 * * 1", "0 0 29 2 *"])
def test_airflow_presets_and_cron_expressions_load(cron):
    assert parse_config(config(schedules={"ingest": cron})).schedules.ingest == cron
    parse_checked_config(config(execution={"monitor_schedule": cron}))


@pytest.mark.parametrize("overrides, message", [
    ({"kraken:BTC/USDT": 0.8}, "validation.gap_ratio_overrides.kraken:BTC/USDT: 'kraken' is not an exchange id "
                                "of the universe; keys are '<exchange id>' or '<exchange id>:<symbol>', valid: sim_alpha"),
    ({"sim_alpha:BTC/USD": 0.8}, "validation.gap_ratio_overrides.sim_alpha:BTC/USD: 'BTC/USD' is not a symbol of "
                                  "'sim_alpha' in the universe; did you mean sim_alpha:BTC/USDT"),
    ({"sim_alpa": 0.3}, "validation.gap_ratio_overrides.sim_alpa: 'sim_alpa' is not an exchange id of the universe; "
                        "keys are '<exchange id>' or '<exchange id>:<symbol>', did you mean sim_alpha?"),
    ({"sim_alpha": 8}, "validation.gap_ratio_overrides.sim_alpha: 8 is not a share of missing candles; valid: a "
                       "number from 0 to 1"),
    ({"sim_alpha:ETH/USDT": -0.1}, "validation.gap_ratio_overrides.sim_alpha:ETH/USDT: -0.1 is not a share"),
])
def test_a_bad_gap_ratio_override_names_its_key_and_what_is_valid(overrides, message):
    fails(config(validation={"gap_ratio_overrides": overrides}), message)


def test_good_gap_ratio_overrides_are_used():
    rules = parse_config(config(validation={"gap_ratio_overrides": {"sim_alpha": 0.2, "sim_alpha:ETH/USDT": 1}})).validation
    assert rules.gap_tolerance("sim_alpha", "BTC/USDT") == 0.2
    assert rules.gap_tolerance("sim_alpha", "ETH/USDT") == 1


def test_quarantine_z_must_be_above_the_flag_z():
    fails(config(validation={"max_abs_return_z": 12, "max_abs_return_z_quarantine": 10}),
          "max_abs_return_z_quarantine (10) must be above max_abs_return_z (12)")


def test_the_shipped_config_examples_agree():
    """The commented override example names the commented file exchange it is written for, and works for it."""
    text = Path(DEFAULT_CONFIG).read_text()
    example = re.search(r'e\.g\. (\{"[^"]+": [0-9.]+\})', text).group(1)
    raw = yaml.safe_load(text)
    raw["universe"]["exchanges"].append({"id": "kraken_files", "source": "file", "symbols": ["BTC/USDC"],
                                         "timeframes": ["1m"], "files": {"BTC/USDC": {"path": "x.csv", "format": "kraken_ohlcvt"}}})
    raw["validation"]["gap_ratio_overrides"] = yaml.safe_load(example)
    assert "id: kraken_files" in text
    assert parse_config(raw).validation.gap_tolerance("kraken_files", "BTC/USDC") == 0.8
