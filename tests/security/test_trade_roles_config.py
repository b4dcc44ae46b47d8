"""access.trade_roles: the roles that may trade are the desk's own, named so a bad entry says where and why."""
import pytest

from include.config.loader import parse_config
from include.errors import ConfigError

BASE = {"universe": {"symbols": ["BTC/USDT"], "timeframes": ["1h"], "exchanges": [{"id": "sim_alpha", "source": "sim"}]},
        "history": {"start": {"1h": "3d"}}}


def test_the_default_is_trader_and_the_example_config_agrees():
    from include.config.loader import load_config
    from tests.conftest import REPO

    assert parse_config(BASE).access.trade_roles == ["Trader"]
    assert load_config(REPO / "config" / "peak_trade.yaml").access.trade_roles == ["Trader"]


@pytest.mark.parametrize("roles, message", [
    (["User"], "access.trade_roles[0]: 'User' is a built-in Airflow role; name a desk role of your own"),
    (["Trader", "Admin"], "access.trade_roles[1]: 'Admin' is a built-in Airflow role"),
    (["9lives"], "access.trade_roles[0]: '9lives' is not a role name"),
    ([], "access.trade_roles"),
])
def test_a_bad_trade_role_names_its_key_and_what_is_valid(roles, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE | {"access": {"trade_roles": roles}})
    assert message in str(caught.value)


def test_an_unknown_access_key_lists_the_valid_one():
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE | {"access": {"trader_roles": ["Trader"]}})
    assert "access.trader_roles" in str(caught.value) and "trade_roles" in str(caught.value)
