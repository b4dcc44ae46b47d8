"""The registry of source kinds: one entry per kind the schema allows, each checking and building its own."""
import re
import typing

import pytest

from include.config.loader import parse_config
from include.config.schema import ExchangeSpec
from include.errors import ConfigError
from include.sources.factory import make_client
from include.sources.file_source import FileExchange
from include.sources.kinds import KINDS, catalogue_problems, source_kind
from include.sources.sim.exchange import SimExchange
from tests.config.support import BULK_FILES, with_exchanges


def test_the_registry_holds_exactly_the_kinds_the_schema_allows():
    assert set(KINDS) == set(typing.get_args(ExchangeSpec.model_fields["source"].annotation)) == {"sim", "ccxt", "file"}


def test_an_unknown_kind_names_the_valid_kinds():
    with pytest.raises(ConfigError, match=re.escape("unknown source kind 'simulator'; valid: sim, ccxt, file")):
        source_kind("simulator")


def test_each_kind_checks_its_own_catalogue():
    sim = ExchangeSpec(id="sim_beta", source="sim")
    assert catalogue_problems(sim, ["BTC/USDT"], ["1h"], "universe.exchanges[3]") == []
    assert catalogue_problems(sim, ["BTC/USDT"], ["2h"], "universe.exchanges[3]") == [
        "universe.timeframes[0]: '2h' is not offered by exchange 'sim_beta'; valid: 1m, 5m, 15m, 30m, 1h, 4h, 1d"]
    ccxt = ExchangeSpec(id="kraken", source="ccxt", symbols=["ANY/COIN"])  # symbols: known after load_markets
    assert catalogue_problems(ccxt, ["ANY/COIN"], ["1h"], "universe.exchanges[0]") == []
    bulk = ExchangeSpec(id="bulk", source="file", timeframes=["1h"], files=BULK_FILES)
    assert catalogue_problems(bulk, ["BTC/USDT", "ETH/USDT"], ["1h"], "universe.exchanges[1]") == [
        "universe.symbols[1]: 'ETH/USDT' is not listed on exchange 'bulk'; did you mean BTC/USDT?"]


def test_make_client_builds_through_the_kind():
    config = parse_config(with_exchanges({"id": "bulk", "source": "file", "timeframes": ["1h"], "files": BULK_FILES}))
    assert isinstance(make_client(config, "sim_alpha"), SimExchange)
    bulk = make_client(config, "bulk")
    assert isinstance(bulk, FileExchange) and bulk.id == "bulk"
