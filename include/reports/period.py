"""Which period a report run covers: the date in its form (a backfill) or the period just gone."""
from __future__ import annotations

from datetime import date, datetime

from include.errors import ConfigError
from include.reports.model import ReportPeriod


def period_for(kind: str, requested: str | None, started: datetime) -> ReportPeriod:
    """The form's date (YYYY-MM-DD, any day of the period) or the period just gone."""
    if not requested:
        return ReportPeriod.last_complete(kind, started)
    try:
        day = date.fromisoformat(str(requested))
    except ValueError:
        what = "any day of the week to report" if kind == "weekly" else "the day to report"
        raise ConfigError(f"params.date: {requested!r} is not a date; give YYYY-MM-DD ({what}), "
                          "or leave it empty") from None
    if day >= started.date():
        raise ConfigError(f"params.date: {day} is not in the past; a report covers whole days up to yesterday "
                          f"({started.date()} is today)")
    return ReportPeriod.covering(kind, day)
