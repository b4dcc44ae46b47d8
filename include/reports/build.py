"""A report run's files: gather the figures of its period, write the PDF and the workbook.

The email and the breaker alert send the summary returned here (the files' own figures),
never a second gather.
"""
from __future__ import annotations

import logging
from datetime import datetime

from include.config.loader import data_dir, reports_dir
from include.config.schema import PeakTradeConfig
from include.reports.delivery import report_paths
from include.reports.excel import render_workbook
from include.reports.gather import gather
from include.reports.model import ReportSummary
from include.reports.pdf import render_pdf
from include.reports.period import period_for

log = logging.getLogger(__name__)


def build_report(config: PeakTradeConfig, kind: str, requested_date: str | None, started: datetime,
                 generated_at: datetime) -> dict:
    """Write the period's PDF and workbook; {"pdf": path, "xlsx": path, "summary": ReportSummary JSON}.

    The period is `requested_date` (any day in it, YYYY-MM-DD) or, when empty, the day or
    ISO week that ended before `started`. Files go under stable names: a re-run replaces them.
    """
    period = period_for(kind, requested_date, started)
    data = gather(data_dir(config), period, generated_at, currency=config.reports.currency,
                  metrics_window_days=config.reports.metrics_window_days,
                  histogram_days=config.reports.histogram_days, rules=config.validation)
    paths = report_paths(data.period, reports_dir(config))
    paths["pdf"].parent.mkdir(parents=True, exist_ok=True)
    render_pdf(data, paths["pdf"])
    render_workbook(data, paths["xlsx"])
    for line in data.attention:
        log.warning("needs attention: %s", line)
    log.info("%s: %s and %s (%s)", data.period.title, paths["pdf"], paths["xlsx"],
             "; ".join(f"{k}: {v}" for k, v in data.missing.items()) or "every section has data")
    return {"pdf": str(paths["pdf"]), "xlsx": str(paths["xlsx"]), "summary": ReportSummary.of(data).to_json()}
