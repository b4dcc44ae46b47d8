"""Report periods: which days a report covers, its stable file names, and the form's date."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from include.errors import ConfigError
from include.reports.model import ReportPeriod
from include.reports.period import period_for

MONDAY_MORNING = datetime(2024, 6, 3, 7, 0, tzinfo=timezone.utc)


def test_a_scheduled_run_reports_the_day_or_week_just_gone():
    daily = ReportPeriod.last_complete("daily", MONDAY_MORNING)
    weekly = ReportPeriod.last_complete("weekly", MONDAY_MORNING)
    assert (daily.start, daily.end, daily.label) == (date(2024, 6, 2), date(2024, 6, 2), "2024-06-02")
    assert (weekly.start, weekly.end, weekly.label) == (date(2024, 5, 27), date(2024, 6, 2), "2024-W22")


def test_the_iso_week_label_follows_the_iso_year_and_the_folder_the_first_day(tmp_path):
    week = ReportPeriod.covering("weekly", date(2021, 1, 2))  # a Saturday in ISO week 53 of 2020
    assert (week.start, week.end, week.label) == (date(2020, 12, 28), date(2021, 1, 3), "2020-W53")
    assert week.folder(tmp_path) == tmp_path / "2020" / "12"
    assert week.stem == "peak_trade_weekly_2020-W53"
    assert ReportPeriod.covering("daily", date(2024, 2, 29)).stem == "peak_trade_daily_2024-02-29"


def test_the_form_date_picks_the_period_containing_it():
    assert period_for("weekly", "2024-05-29", MONDAY_MORNING) == ReportPeriod.covering("weekly", date(2024, 5, 27))
    assert period_for("daily", None, MONDAY_MORNING).start == date(2024, 6, 2)
    assert period_for("daily", "", MONDAY_MORNING).start == date(2024, 6, 2)


@pytest.mark.parametrize("value, message", [
    ("2024-13-01", r"params.date: '2024-13-01' is not a date; give YYYY-MM-DD \(the day to report\)"),
    ("yesterday", r"params.date: 'yesterday' is not a date; give YYYY-MM-DD \(any day of the week to report\)"),
    ("2024-06-03", r"params.date: 2024-06-03 is not in the past; a report covers whole days up to yesterday"),
])
def test_a_bad_form_date_is_one_message(value, message):
    kind = "weekly" if value == "yesterday" else "daily"
    with pytest.raises(ConfigError, match=message):
        period_for(kind, value, MONDAY_MORNING)


def test_the_summary_the_email_tasks_receive_round_trips_through_json():
    import json

    from include.reports.model import ReportSummary
    from tests.reports.support import sample_report

    summary = ReportSummary.of(sample_report("weekly"))
    again = ReportSummary.from_json(json.loads(json.dumps(summary.to_json())))
    assert again == summary
