"""Sweep windows relative to the run: resolved against a fixed reference time (the DAG run's data
interval end), absolute dates kept, and every bad value one message naming its key."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest
import yaml

from include.checked_config import parse_checked_config
from include.config.loader import config_path
from include.errors import ConfigError
from include.sweeps import SweepError, parse_spec, plan_chunks
from include.sweeps.checks import sweep_specs

REFERENCE = datetime(2024, 6, 1, 2, 37, 12, tzinfo=timezone.utc)  # mid-bar: the 02:00 bar is still forming
LAST_COMPLETE = pd.Timestamp("2024-06-01 02:00", tz="UTC")  # end of the 01:00 bar
SWEEP = {"name": "wf", "strategy": "sma_crossover", "universe": [{"exchange": "sim_alpha", "symbol": "BTC/USDT"}],
         "timeframe": "1h", "start": "365d", "params": {"fast": [10, 20], "slow": [50, 100], "kind": "sma", "mode": "long_only"},
         "method": "walk_forward",
         "walk_forward": {"in_sample": "90d", "out_of_sample": "30d", "step": "30d", "purge": "1d", "budget": 4}}


def walk(**changes):
    return parse_spec(SWEEP | changes)


def test_a_look_back_resolves_to_the_year_before_the_last_complete_bar():
    spec = walk()
    assert (spec.start, spec.end, spec.resolved) == ("365d", None, False)
    resolved = spec.resolve(REFERENCE)
    assert resolved.end == LAST_COMPLETE
    assert resolved.start == LAST_COMPLETE - pd.Timedelta(days=365)
    assert resolved.resolved and resolved.walk_forward == spec.walk_forward


def test_the_same_reference_gives_the_same_plan_and_a_later_one_a_new_window():
    again = walk().resolve(REFERENCE)
    assert again.digest() == walk().resolve(REFERENCE).digest()
    assert [c.chunk_id for c in plan_chunks(again, 1)] == [c.chunk_id for c in plan_chunks(walk().resolve(REFERENCE), 1)]
    later = walk().resolve(datetime(2024, 6, 2, 2, 5, tzinfo=timezone.utc))
    assert later.digest() != again.digest() and later.end == LAST_COMPLETE + pd.Timedelta(days=1)


def test_folds_of_the_resolved_window():
    chunks = plan_chunks(walk().resolve(REFERENCE), 1)
    assert len(chunks) == 9  # (365 - 90 - 30) / 30 + 1
    first, last = chunks[0].fold, chunks[-1].fold
    assert first.in_sample_start == LAST_COMPLETE - pd.Timedelta(days=365)
    assert first.out_of_sample_start - first.in_sample_end == pd.Timedelta(days=1)  # the purge
    assert last.out_of_sample_end <= LAST_COMPLETE
    assert chunks[0].n_trials == 4  # fast {10, 20} x slow {50, 100}


def test_absolute_dates_are_kept_and_an_omitted_end_is_the_last_complete_bar():
    fixed = walk(start="2023-06-01", end="2024-05-01").resolve(REFERENCE)
    assert (fixed.start, fixed.end) == (pd.Timestamp("2023-06-01", tz="UTC"), pd.Timestamp("2024-05-01", tz="UTC"))
    open_ended = walk(start="2023-06-01").resolve(REFERENCE)
    assert (open_ended.start, open_ended.end) == (pd.Timestamp("2023-06-01", tz="UTC"), LAST_COMPLETE)
    grid = parse_spec(SWEEP | {"method": "grid", "start": None, "walk_forward": None}).resolve(REFERENCE)
    assert (grid.start, grid.end) == (None, LAST_COMPLETE)  # all the history up to the run's reference time


def test_a_relative_spec_is_not_planned_unresolved():
    with pytest.raises(SweepError, match=r"relative to the run \(start 365d.*spec.resolve"):
        plan_chunks(walk(), 1)


def test_a_window_too_short_for_a_fold_fails_when_it_resolves_naming_the_key():
    late = walk(start="2024-04-01")  # its length is known only once end is
    with pytest.raises(ConfigError, match=r"^sweeps\[0\]: walk_forward: one fold \(in_sample \+ out_of_sample = 120 "
                                          r"days\) does not fit in start..end \(61.0833 days\)"):
        late.resolve(REFERENCE, source="sweeps[0]")


@pytest.mark.parametrize("change, message", [
    ({"start": "365q"}, "start: '365q' is not a date (2023-03-01, 2023-03-01T12:00Z) or a look-back before end "
                        "like 365d, 12w, 48h"),
    ({"end": "7d"}, "end: '7d' is not a date or datetime"),
    ({"start": None}, "start: method walk_forward needs the window its folds tile"),
    ({"start": "100d"}, "walk_forward: one fold (in_sample + out_of_sample = 120 days) does not fit in start..end "
                        "(100 days)"),
    ({"walk_forward": {**SWEEP["walk_forward"], "in_sample": "90x"}},
     "walk_forward.in_sample: '90x' is not a whole number of bars (e.g. 24) or a duration like 12h, 90d, 2w"),
    ({"walk_forward": {**SWEEP["walk_forward"], "purge": -3}}, "walk_forward.purge: -3 bars: give at least 0"),
    ({"walk_forward": {**SWEEP["walk_forward"], "purge": "90d"}},
     "walk_forward.purge: 90d leaves no training bar of in_sample 90d"),
    ({"walk_forward": {**SWEEP["walk_forward"], "scheme": "kfold"}}, "walk_forward.scheme: 'kfold' is invalid"),
    ({"walk_forward": {**SWEEP["walk_forward"], "embargo": 5}},
     "walk_forward: embargo: rolling folds train on the past only"),
    ({"walk_forward": {**SWEEP["walk_forward"], "n_folds": 6}},
     "walk_forward: n_folds: scheme rolling takes in_sample, out_of_sample, step, purge, not n_folds"),
    ({"walk_forward": {"out_of_sample": "30d"}}, "walk_forward: in_sample: scheme rolling needs it"),
    ({"walk_forward": {"scheme": "cpcv", "n_folds": 6}}, "walk_forward: n_test_folds: scheme cpcv needs it"),
    ({"walk_forward": {"scheme": "cpcv", "n_folds": 4, "n_test_folds": 4}},
     "walk_forward: n_test_folds: 4 must be below n_folds (4)"),
    ({"walk_forward": {"scheme": "cpcv", "n_folds": 2, "n_test_folds": 1}},
     "walk_forward.n_folds: 2 is invalid: Input should be greater than or equal to 3; walk_forward.n_test_folds: 1 "
     "is invalid: Input should be greater than or equal to 2"),
    ({"walk_forward": {"scheme": "cpcv", "n_folds": 16, "n_test_folds": 8}},
     "walk_forward: n_folds/n_test_folds: C(16, 8) = 12,870 splits (one task each); at most 100"),
    ({"walk_forward": {"scheme": "cpcv", "n_folds": 6, "n_test_folds": 2, "purged_size": "40d", "embargo_size": "30d"}},
     "walk_forward: purged_size + embargo_size = 1680 bars must be below 1459"),
    ({"walk_forward": {**SWEEP["walk_forward"], "in_sample_days": 5}},
     "walk_forward.in_sample_days: unknown key; valid keys: scheme, in_sample, out_of_sample, step, purge"),
])
def test_bad_windows_in_the_config_name_the_key(change, message):
    raw = {**yaml.safe_load(config_path().read_text()), "sweeps": [SWEEP | change]}
    with pytest.raises(ConfigError) as failure:
        parse_checked_config(raw, strategies=True)
    assert f"sweeps[0]: {message}" in str(failure.value)


def test_the_config_resolves_at_the_reference_it_is_given():
    config = parse_checked_config({**yaml.safe_load(config_path().read_text()), "sweeps": [SWEEP]}, strategies=True)
    assert sweep_specs(config)["wf"].start == "365d"
    assert sweep_specs(config, reference=REFERENCE)["wf"].end == LAST_COMPLETE
