"""The optimiser settings: strict keys, one message naming the key and the valid values."""
from __future__ import annotations

import re

import pytest

from include.errors import ConfigError
from include.portfolio import Method, PortfolioSettings, parse_settings


def test_defaults_are_long_only_min_variance_without_limits():
    s = parse_settings({})
    assert s.method is Method.MIN_VARIANCE and s.min_weight == 0.0 and s.max_turnover is None and s.cash_buffer == 0.0


def test_unknown_key_names_it_and_the_closest_valid_one():
    with pytest.raises(ConfigError, match=r"portfolio: unknown key 'max_weigth'; did you mean max_weight"):
        parse_settings({"max_weigth": 0.3})
    with pytest.raises(ConfigError, match=r"portfolio\.bounds\.BTC/USDT: unknown key 'maximum'"):
        parse_settings({"bounds": {"BTC/USDT": {"maximum": 0.3}}})


def test_bad_method_lists_the_valid_ones():
    valid = ", ".join(f"'{m.value}'" for m in list(Method)[:-1]) + f" or '{list(Method)[-1].value}'"
    message = f"portfolio.method: Input should be {valid} (got 'sharpe')"
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        parse_settings({"method": "sharpe"})


@pytest.mark.parametrize("data, expected", [
    ({"cash_buffer": 1.0}, r"portfolio\.cash_buffer: Input should be less than 1 \(got 1\.0\)"),
    ({"max_weight": 0}, r"portfolio\.max_weight: Input should be greater than 0"),
    ({"max_turnover": -0.1}, r"portfolio\.max_turnover: Input should be greater than 0"),
    ({"method": "target_return"}, r"portfolio: method 'target_return' needs 'target_return'"),
    ({"target_return": 0.2}, r"'target_return' applies to method 'target_return' only"),
    ({"method": "black_litterman"}, r"method 'black_litterman' needs 'views'"),
    ({"views": ["BTC/USDT == 0.1"]}, r"'views' apply to method 'black_litterman' only"),
    ({"method": "black_litterman", "views": ["BTC/USDT > 0.1"]}, r"portfolio\.views: view 'BTC/USDT > 0.1' is not"),
    ({"min_weight": 0.5, "max_weight": 0.4}, r"min_weight \(0\.5\) must not exceed max_weight \(0\.4\)"),
    ({"bounds": {"ETH/USDT": {"min": 0.3, "max": 0.2}}}, r"portfolio\.bounds\.ETH/USDT: min \(0\.3\) must not exceed max"),
])
def test_bad_values_name_the_key(data, expected):
    with pytest.raises(ConfigError, match=expected):
        parse_settings(data)


def test_views_are_annual_and_become_daily_in_skfolio_syntax():
    s = PortfolioSettings(method="black_litterman", views=["BTC/USDT - ETH/USDT == 0.0365", "SOL/USDT = -0.73"])
    (relative, absolute) = s.daily_views(365)
    assert relative.startswith("BTC/USDT - ETH/USDT == ") and float(relative.split("==")[1]) == pytest.approx(0.0001, rel=1e-12)
    assert absolute.startswith("SOL/USDT == ") and float(absolute.split("==")[1]) == pytest.approx(-0.002, rel=1e-12)


def test_per_asset_bounds_override_the_global_ones():
    s = PortfolioSettings(max_weight=0.3, bounds={"BTC/USDT": {"min": 0.1, "max": 0.6}})
    assert s.asset_bounds("BTC/USDT") == (0.1, 0.6) and s.asset_bounds("ETH/USDT") == (0.0, 0.3)


def test_settings_are_frozen():
    with pytest.raises(Exception, match="frozen"):
        PortfolioSettings().max_weight = 0.5
