"""The backfill form's dates: empty dates resolved at run time, a future start or end rejected alike."""
from datetime import date

import pytest

from include.errors import ConfigError
from include.ingest import backfill_days

TODAY = date(2026, 11, 30)


def test_empty_dates_are_the_seven_days_before_today():
    assert backfill_days(None, "", TODAY) == (date(2026, 11, 23), date(2026, 11, 29))


def test_given_dates_are_kept_and_today_is_allowed():
    assert backfill_days("2026-11-01", "2026-11-30", TODAY) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize("start, end, name", [("2026-12-02", "2026-12-03", "start"), ("2026-11-01", "2026-12-03", "end")])
def test_a_future_start_or_end_is_rejected_alike(start, end, name):
    with pytest.raises(ConfigError, match=rf"^param {name}: 2026-12-0\d is in the future \(today is 2026-11-30 UTC\)"):
        backfill_days(start, end, TODAY)


def test_end_before_start_and_a_malformed_date_name_the_param():
    with pytest.raises(ConfigError, match="param end: 2026-11-01 is before start 2026-11-05"):
        backfill_days("2026-11-05", "2026-11-01", TODAY)
    with pytest.raises(ConfigError, match="param start: '5 Nov' is not a date; use YYYY-MM-DD"):
        backfill_days("5 Nov", None, TODAY)
