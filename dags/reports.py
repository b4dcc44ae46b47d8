"""daily_report and weekly_report: the PDF and Excel report of the day or ISO week just gone, saved and emailed."""
from airflow.sdk import DAG

from include.checked_config import load_checked_config
from operators.common import default_args, schedules_start
from operators.forms import REPORT_SECTION, in_section, report_form_note
from operators.report_tasks import report_params, wire_report

config = load_checked_config()  # shape, source catalogues, sweep shapes: no strategies at parse time
SPANS = {"daily": "the UTC day just gone", "weekly": "the ISO week (Monday to Sunday) just gone"}

for kind, span in SPANS.items():
    with DAG(
        dag_id=f"{kind}_report",
        description=f"The PDF and Excel report of {span}, saved under reports/ and emailed.",
        schedule=getattr(config.schedules, f"{kind}_report"),
        start_date=schedules_start(),  # from the first `make airflow`: nothing past runs at once
        catchup=False,
        max_active_runs=1,
        default_args=default_args(config),
        tags=["reports"],
        params=in_section(report_params(kind), REPORT_SECTION),
        doc_md=f"""
### {kind.capitalize()} report
The equal-weight universe portfolio (equity, PnL, risk metrics, circuit breaker),
charts, performers, stress scenarios, data quality and the best sweep parameters of
{span}, as a PDF and an Excel workbook under `reports/YYYY/MM/` (stable names: a
re-run replaces them), emailed to `reports.recipients` through the
`reports.smtp_conn_id` connection. Trigger with a date for a past period. Figures
come from the warehouse's Parquet exports (run `warehouse_build` first).
`email_report` and `alert_breaker` are skipped, saying why in their log, when they send
nothing; `check_breaker` fails the run when the breaker is at level 2 (halve) or 3 (halt).
""" + report_form_note(span),
    ):
        wire_report(kind)
