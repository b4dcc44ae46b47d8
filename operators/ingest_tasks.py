"""Airflow tasks of the ingestion DAGs: plan -> land (mapped) -> validate (mapped) -> publish.

Each task is a few lines around a function of `include.ingest`; heavy imports
(ccxt, Great Expectations) happen inside the tasks so DAG parsing stays fast.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from airflow.sdk import Asset, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.checked_config import load_checked_config
from include.paths import run_key
from operators.common import bad_input_fails_fast

log = logging.getLogger(__name__)

# Emitted after every publish that validated new partitions; downstream DAGs schedule on it.
VALIDATED_CANDLES = Asset(name="validated_candles", uri="peaktrade://market-data/validated-candles")


def _label_map_index(label: str) -> None:
    get_current_context()["series_label"] = label


@task
def plan_incremental() -> list[dict]:
    """One job per configured series, from after its last landed candle up to now."""
    from include.ingest import plan_incremental as plan

    with bad_input_fails_fast():
        jobs = plan(load_checked_config(), datetime.now(timezone.utc))
    log.info("planned %d series: %s", len(jobs), "; ".join(f"{j['label']} [{j['window']}]" for j in jobs))
    return jobs


@task
def plan_backfill(params: dict | None = None) -> list[dict]:
    """Check the form's parameters against the config and the exchange, then plan one job per symbol."""
    from include.ingest import plan_backfill as plan

    p = params or get_current_context()["params"]
    with bad_input_fails_fast():
        jobs = plan(load_checked_config(), p["exchange"], list(p["symbols"]), p["timeframe"], p["start"], p["end"], datetime.now(timezone.utc))
    log.info("backfill of %d series: %s", len(jobs), "; ".join(f"{j['label']} [{j['window']}]" for j in jobs))
    return jobs


@task(map_index_template="{{ series_label }}")
def land(job: dict) -> dict:
    """Fetch the job's window and write candidate partitions to the run's landing area."""
    from include.ingest import land as land_job

    _label_map_index(job["label"])
    with bad_input_fails_fast():
        landing = land_job(load_checked_config(), job, run_key(get_current_context()["run_id"]))
    log.info("%s: landed %d candles in %d partitions (%s .. %s)", job["label"], landing["rows"], len(landing["days"]), landing["first"], landing["last"])
    return landing


@task(map_index_template="{{ series_label }}", trigger_rule=TriggerRule.ALL_DONE)
def validate(landing: dict) -> dict:
    """Run the Great Expectations suite over the series' candidate partitions."""
    from include.ingest import validate as validate_landing
    from include.ingest import validation_line

    _label_map_index(f"{landing['exchange']} {landing['symbol']} {landing['timeframe']}")
    with bad_input_fails_fast():
        outcome = validate_landing(load_checked_config(), landing)
    log.info(validation_line(outcome))
    return outcome


# All done, so the series that validated are published when others failed; at least one success, so a
# plan that failed (bad form input: its upstreams are then failed and upstream_failed) leaves publish
# upstream_failed at once instead of running on no plan and retrying a TypeError.
@task(outlets=[VALIDATED_CANDLES], trigger_rule=TriggerRule.ALL_DONE_MIN_ONE_SUCCESS)
def publish(jobs: list[dict]) -> dict:
    """Publish passing partitions, quarantine failing ones, build Data Docs; then report missing series."""
    from include.ingest import publish as publish_run

    context = get_current_context()
    summary = publish_run(load_checked_config(), run_key(context["run_id"]))
    log.info(summary.line())
    missing = [j["label"] for j in jobs if j["label"] not in summary.validated_series]
    if missing:
        raise RuntimeError(f"{len(missing)} of {len(jobs)} series did not land or validate: {', '.join(missing)}")
    nothing_passed = summary.nothing_passed()
    if nothing_passed:  # a failed run (and its failure notification), never a green one with publish skipped
        raise AirflowFailException(nothing_passed)
    if summary.passed == 0:  # nothing new landed: no asset event, downstream DAGs have nothing new to read
        raise AirflowSkipException("no new candles landed: nothing to validate or publish")
    context["outlet_events"][VALIDATED_CANDLES].extra = {
        "partitions": summary.partitions,
        "passed": summary.passed,
        "quarantined": len(summary.quarantined),
        "report": summary.report,
    }
    return {"line": summary.line(), "report": summary.report, "data_docs": summary.data_docs,
            "results": summary.results_file}


def ingest_flow(jobs) -> None:
    """Wire land -> validate -> publish over a planned list of jobs."""
    landed = land.expand(job=jobs)
    checked = validate.expand(landing=landed)
    checked >> publish(jobs)
