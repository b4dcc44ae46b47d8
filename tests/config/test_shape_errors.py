"""Shape errors (include.config): each names its key path and the bad value, and says what is valid."""
import re

import pytest

from include.config.loader import load_config, parse_config
from include.errors import ConfigError
from tests.config.support import BULK_FILES, config, universe, with_exchanges


def fails(raw: dict, message: str) -> str:
    """The ConfigError of parse_config(raw); `message` (literal text) must be in it."""
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        parse_config(raw)
    return str(caught.value)


def test_unknown_top_level_key_lists_the_valid_keys():
    fails(config(sweepz=[]), "config: sweepz: unknown key; valid keys: data_dir, universe, history, schedules")


def test_unknown_nested_key_lists_the_keys_valid_there():
    fails(with_exchanges(sourse="sim"),
          "universe.exchanges[0].sourse: unknown key; valid keys: id, source, symbols, timeframes, files")
    fails(config(reports={"recipient": []}), "reports.recipient: unknown key; valid keys: dir, currency, recipients")


def test_missing_required_key():
    raw = config()
    del raw["history"]
    fails(raw, "history: required key is missing")
    raw = config()
    del raw["universe"]["symbols"]
    fails(raw, "universe.symbols: required key is missing")


def test_wrong_type_names_the_value_and_the_type_wanted():
    fails(config(ingest={"page_limit": "lots"}), "ingest.page_limit: 'lots' is invalid: Input should be a valid integer")
    fails(config(validation={"max_gap_ratio": 2}),
          "validation.max_gap_ratio: 2 is invalid: Input should be less than or equal to 1")


def test_a_config_that_is_not_a_mapping():
    fails([1, 2], "(top level): [1, 2] is invalid: Input should be a valid dictionary")


def test_bad_timeframe_string_names_its_index_and_the_valid_form():
    fails(universe(timeframes=["1h", "1x"]),
          "universe.timeframes[1]: timeframe '1x' is not of the form <n><s|m|h|d|w>, e.g. 1m, 1h, 1d")


def test_unknown_source_kind_lists_the_kinds():
    fails(with_exchanges(source="simulator"),
          "universe.exchanges[0].source: 'simulator' is invalid: Input should be 'sim', 'ccxt' or 'file'")


def test_file_exchange_without_files():
    fails(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h"]}),
          "universe.exchanges[1].files: missing; a 'file' exchange needs 'files': {SYMBOL: {path, format}}")


def test_file_exchange_with_two_timeframes_or_none():
    fails(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h", "1d"], "files": BULK_FILES}),
          "universe.exchanges[1].timeframes: ['1h', '1d'] lists 2 timeframes; a 'file' exchange needs exactly one")
    fails(with_exchanges({"id": "bulk", "source": "file", "files": BULK_FILES}),
          "universe.exchanges[1].timeframes: missing; a 'file' exchange needs exactly one")


def test_files_on_another_kind():
    fails(with_exchanges(files=BULK_FILES), "universe.exchanges[0].files: 'files' is only for source 'file', not 'sim'")


def test_file_spec_format_and_columns():
    fails(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h"],
                          "files": {"BTC/USDT": {"path": "b.csv", "format": "xlsx"}}}),
          "universe.exchanges[1].files.BTC/USDT.format: 'xlsx' is invalid: Input should be 'binance_klines', "
          "'kraken_ohlcvt', 'csv' or 'parquet'")
    fails(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h"],
                          "files": {"BTC/USDT": {"path": "b.csv", "format": "csv", "columns": {"timestamp": "t"}}}}),
          "universe.exchanges[1].files.BTC/USDT: format 'csv' needs a 'columns' mapping")


def test_duplicate_exchange_ids():
    fails(with_exchanges({"id": "sim_beta", "source": "sim"}, {"id": "sim_alpha", "source": "sim"}),
          "universe.exchanges: id 'sim_alpha' is used by entries 0 and 2; exchange ids must be unique")


def test_bad_history_start_names_the_timeframe_and_the_valid_forms():
    fails(config(history={"start": {"1h": "yesterday"}}),
          "history.start.1h: 'yesterday' is neither a date (YYYY-MM-DD) nor a look-back like 365d, 12w, 48h")
    fails(config(history={"start": {"1x": "3d"}}), "history.start.1x: timeframe '1x' is not of the form")
    fails(config(history={"start": {}, "default_start": "soon"}),
          "history.default_start: 'soon' is neither a date (YYYY-MM-DD) nor a look-back")


def test_bad_email_names_its_index():
    fails(config(reports={"recipients": ["ops@desk.example", "bob"]}),
          "reports.recipients[1]: 'bob' is not an email address like name@example.com")
    fails(config(reports={"sender": "desk"}), "reports.sender: 'desk' is not an email address")
    fails(config(notifications={"email": ["x"]}), "notifications.email[0]: 'x' is not an email address")


def test_several_shape_problems_in_one_message():
    raw = universe(timeframes=["1x"])
    raw["ingest"] = {"retries": -1}
    raw["colour"] = "blue"
    message = fails(raw, "universe.timeframes[0]: timeframe '1x'")
    assert "ingest.retries: -1 is invalid" in message and "colour: unknown key" in message
    assert message.startswith("config: ") and message.count("; ") >= 2


def test_the_file_is_named_first(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("universe: {symbols: [BTC/USDT], timeframes: [1h], exchanges: [{id: sim_alpha, source: sim}]}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: history: required key is missing")):
        load_config(path)
    path.write_text("universe: [unclosed\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}: not valid YAML")):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.yaml")


def test_shape_alone_does_not_consult_a_catalogue():
    """load_config / parse_config check shape only: the catalogue is include.checked_config's."""
    assert parse_config(universe(symbols=["BTC/USDX"])).universe.symbols == ["BTC/USDX"]
