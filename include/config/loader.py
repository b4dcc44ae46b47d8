"""Load the YAML config and check its shape, reporting every problem in one message.

The file is `config/peak_trade.yaml` in the project unless PEAKTRADE_CONFIG
points elsewhere. A bad key or value stops with
`ConfigError("<file>: <key path>: <bad value> ... valid: ...")`. The checks that
need a catalogue or the strategies are `include.checked_config`'s.
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from include.config.schema import PeakTradeConfig
from include.errors import ConfigError
from include.strict import describe_validation_errors

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "peak_trade.yaml"
CONFIG_ENV = "PEAKTRADE_CONFIG"
DATA_DIR_ENV = "PEAKTRADE_DATA_DIR"
REPORTS_DIR_ENV = "PEAKTRADE_REPORTS_DIR"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(path: str | Path | None = None) -> PeakTradeConfig:
    """The config file's shape and types, checked (no catalogue, no strategies)."""
    path = Path(path) if path else config_path()
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist (set {CONFIG_ENV} to a YAML file)")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(raw, source=str(path))


def parse_config(raw: dict, source: str = "config") -> PeakTradeConfig:
    try:
        return PeakTradeConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_errors(exc, source, PeakTradeConfig)) from None


def data_dir(config: PeakTradeConfig) -> Path:
    """Absolute data directory: PEAKTRADE_DATA_DIR, else config data_dir (relative to the project)."""
    path = Path(os.environ.get(DATA_DIR_ENV) or config.data_dir)
    return path if path.is_absolute() else PROJECT_ROOT / path


def reports_dir(config: PeakTradeConfig) -> Path:
    """Absolute reports directory: PEAKTRADE_REPORTS_DIR, else config reports.dir (relative to the project)."""
    path = Path(os.environ.get(REPORTS_DIR_ENV) or config.reports.dir)
    return path if path.is_absolute() else PROJECT_ROOT / path
