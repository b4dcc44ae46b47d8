"""Which sweeps a run asks for: the form's list, in its order, or every configured sweep."""
from __future__ import annotations

import pytest

from include.errors import ConfigError
from include.sweeps.pipeline import select_sweeps
from tests.sweeps.support import spec


def test_an_empty_form_selects_every_configured_sweep_and_a_list_its_sweeps_in_order():
    specs = {"a": spec(), "b": spec(), "c": spec()}
    assert list(select_sweeps(specs, None)) == ["a", "b", "c"]
    assert list(select_sweeps(specs, [])) == ["a", "b", "c"]
    assert list(select_sweeps(specs, ["c", "a"])) == ["c", "a"]
    assert select_sweeps(specs, ["b"])["b"] is specs["b"]


def test_a_sweep_not_in_the_config_is_one_message_naming_the_valid_ones():
    with pytest.raises(ConfigError, match=r"sweeps \['nope'\] are not in the config; valid: a, b"):
        select_sweeps({"a": spec(), "b": spec()}, ["a", "nope"])
