"""Every DAG imports cleanly and carries what operators of the UI rely on."""
import textwrap

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException

from tests.conftest import REPO

EXPECTED = {"market_data_ingest", "market_data_backfill", "warehouse_build", "nightly_sweep", "daily_report",
            "weekly_report", "rebalance", "flatten_all", "risk_monitor"}


@pytest.fixture(scope="module")
def dagbag():
    return DagBag(dag_folder=str(REPO / "dags"))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert EXPECTED <= set(dagbag.dag_ids)


def test_every_dag_has_owner_retries_tags_and_doc(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, dag_id
        assert dag.doc_md and len(dag.doc_md) > 100, dag_id
        for task in dag.tasks:
            assert task.owner == "peak-trade", (dag_id, task.task_id)
            # Not the one `dbt build` (a cosmos watcher producer skips on a retry instead of building
            # again) nor the sensors reporting its result (a retry cannot change a finished build).
            # Nor check_breaker: it reads a level already evaluated, which a retry cannot change.
            assert task.retries >= 1 or _reports_the_dbt_build(task) or task.task_id == "check_breaker", \
                (dag_id, task.task_id)
            assert task.execution_timeout is not None, (dag_id, task.task_id)


def test_ingest_maps_land_and_validate_over_series(dagbag):
    dag = dagbag.dags["market_data_ingest"]
    assert dag.schedule == "@hourly" or str(dag.timetable.summary) == "@hourly"
    assert dag.max_active_runs == 1
    land, validate, publish = dag.get_task("land"), dag.get_task("validate"), dag.get_task("publish")
    assert land.map_index_template == validate.map_index_template == "{{ series_label }}"
    assert validate.task_id in land.downstream_task_ids
    assert publish.task_id in validate.downstream_task_ids
    assert [o.uri for o in publish.outlets] == ["peaktrade://market-data/validated-candles"]


def _reports_the_dbt_build(task) -> bool:
    return task.dag_id == "warehouse_build" and task.task_id.startswith("dbt.") and task.retries == 0


def test_warehouse_runs_one_dbt_build_and_shows_each_model(dagbag):
    dag = dagbag.dags["warehouse_build"]
    tasks = {t.task_id: t for t in dag.tasks}
    producer = tasks["dbt.dbt_producer_watcher"]
    assert {"prepare_warehouse", "dbt.stg_candles.run", "dbt.stg_candles.test", "dbt.fct_features.run",
            "dbt.fct_risk_metrics_rolling.test", "export_marts"} <= set(tasks)
    # Only the tasks that open the DuckDB file take the pool's one slot: the sensors read XCom.
    assert {t for t, task in tasks.items() if task.pool == "duckdb"} == {"prepare_warehouse", producer.task_id,
                                                                           "export_marts"}
    sensors = [task for task in tasks.values() if getattr(task, "producer_task_id", None)]
    assert len(sensors) > 40 and not any(task.deferrable for task in sensors)  # no triggerer needed
    for sensor in sensors:  # each one runs behind the build, never beside it
        assert producer.task_id in sensor.get_flat_relative_ids(upstream=True), sensor.task_id
        assert sensor.interceptors and sensor.interceptors != producer.interceptors  # a sensor never starts dbt itself
    # the producer only waits for a lock held outside the pipeline before its dbt build
    assert [f.__name__ for f in producer.interceptors] == ["_wait_for_warehouse_lock"]
    with pytest.raises(AirflowFailException, match="clear dbt_producer_watcher"):
        sensors[0].build_and_run_cmd(context={}, cmd_flags=["--select", "stg_candles"])  # cosmos' fallback path
    assert "tag:sweeps" in producer.exclude and producer.select is None
    assert tasks["export_marts"].upstream_task_ids >= {"dbt.fct_features.test", "dbt.dbt_producer_watcher_done"}
    assert [a.uri for a in dag.timetable.asset_condition.objects] == ["peaktrade://market-data/validated-candles"]


def _rendered_dbt_group(monkeypatch, manifest) -> dict[str, set[str]]:
    from airflow.sdk import DAG

    import operators.warehouse_tasks as warehouse_tasks

    monkeypatch.setattr(warehouse_tasks, "fresh_manifest", lambda: manifest)
    with DAG("render_check", schedule=None) as dag:
        warehouse_tasks.dbt_task_group()
    return {task.task_id: set(task.upstream_task_ids) for task in dag.tasks}


def test_warehouse_renders_from_the_manifest_exactly_as_from_dbt_ls(monkeypatch):
    """Parsing reads make's manifest instead of running `dbt ls`; both give the same tasks and edges."""
    from include.warehouse.dbt_manifest import fresh_manifest

    manifest = fresh_manifest()
    assert manifest is not None, "tests/conftest.py writes the manifest at session start"
    monkeypatch.setenv("AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS", "False")
    from_manifest = _rendered_dbt_group(monkeypatch, manifest)
    from_dbt_ls = _rendered_dbt_group(monkeypatch, None)
    assert len(from_manifest) > 40 and from_manifest == from_dbt_ls


def test_a_manifest_older_than_a_model_is_not_used(tmp_path, monkeypatch):
    import os

    from include.warehouse import dbt_manifest

    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x")
    model = project / "models" / "m.sql"
    model.write_text("select 1")
    manifest = project / "target" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text("{}")
    monkeypatch.setattr(dbt_manifest, "DBT_PROJECT", project)
    monkeypatch.setattr(dbt_manifest, "MANIFEST", manifest)
    os.utime(model, (1_000, 1_000))
    os.utime(project / "dbt_project.yml", (1_000, 1_000))
    assert dbt_manifest.fresh_manifest() == manifest
    os.utime(model, None)  # the model edited after the manifest was written
    os.utime(manifest, (2_000, 2_000))
    assert dbt_manifest.fresh_manifest() is None
    manifest.unlink()
    assert dbt_manifest.fresh_manifest() is None


def test_sweep_maps_chunks_and_publishes_in_the_duckdb_pool(dagbag):
    dag = dagbag.dags["nightly_sweep"]
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"plan_sweeps", "run_sweep_chunk", "publish_sweeps"}
    assert tasks["publish_sweeps"].pool == "duckdb" and tasks["run_sweep_chunk"].pool != "duckdb"
    sweeps = dag.params.get_param("sweeps").schema
    assert sweeps["items"]["enum"] == ["sma_crossover_1h", "rsi_tpe_1h", "sma_walk_forward_1h"]
    assert sweeps["examples"] == sweeps["items"]["enum"]  # Airflow's form renders a multi-select, not free text
    assert sweeps["values_display"]["sma_crossover_1h"] == "sma_crossover_1h: sma_crossover on BTC/USDT, ETH/USDT (1h)"
    assert dag.timetable.expression == "0 2 * * *"


@pytest.mark.parametrize("dag_id, cron", [("daily_report", "30 6 * * *"), ("weekly_report", "0 7 * * 1")])
def test_reports_build_then_email_and_alert_with_a_backfill_form(dagbag, dag_id, cron):
    dag = dagbag.dags[dag_id]
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"build_report", "email_report", "alert_breaker", "check_breaker"}
    assert tasks["build_report"].downstream_task_ids == {"email_report", "alert_breaker", "check_breaker"}
    assert tasks["check_breaker"].retries == 0 and not tasks["check_breaker"].on_failure_callback
    assert all(t.pool != "duckdb" for t in dag.tasks)  # reports read Parquet exports, never the DuckDB file
    assert dag.timetable.expression == cron
    date_param = dag.params.get_param("date")
    assert date_param.value is None and date_param.schema["format"] == "date"
    assert dag.params.get_param("email").value is True


def test_backfill_form_lists_configured_choices(dagbag):
    params = dagbag.dags["market_data_backfill"].params
    assert params.get_param("exchange").schema["enum"] == ["sim_alpha", "sim_beta", "sim_gamma"]
    assert set(params.get_param("timeframe").schema["enum"]) == {"1h", "1m"}
    assert params.get_param("symbols").schema["type"] == "array"
    # empty defaults resolved at run time: the DAG (and its version) does not change with the date
    assert params.get_param("start").value is None and params.get_param("end").value is None


def test_every_dag_and_form_field_says_what_it_is(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.description and "\n" not in dag.description and len(dag.description) <= 120, dag_id
        assert "**The trigger form:**" in dag.doc_md, dag_id
        for name, param in dag.params.items():
            assert dag.params.get_param(name).description, f"{dag_id}.{name} has no description"
    symbols = dagbag.dags["rebalance"].params.get_param("symbols").schema
    assert symbols["examples"] == symbols["items"]["enum"]  # a multi-select of execution.symbols
    assert {t.task_id for t in dagbag.dags["risk_monitor"].tasks} >= {"monitor_risk", "check_breaker"}


def test_bad_config_is_one_message_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        textwrap.dedent(
            """
            universe:
              symbols: [BTC/USDX]
              timeframes: [1h]
              exchanges: [{id: sim_alpha, source: sim}]
            history: {start: {1h: 3d}}
            """
        )
    )
    monkeypatch.setenv("PEAKTRADE_CONFIG", str(bad))
    bag = DagBag(dag_folder=str(REPO / "dags" / "market_data_ingest.py"))
    (message,) = bag.import_errors.values()
    assert "universe.symbols[0]: 'BTC/USDX' is not listed on exchange 'sim_alpha'" in message
    assert "did you mean BTC/USDT" in message
    assert "Traceback" not in message and "File \"" not in message


def test_rebalance_is_manual_with_a_form_and_followable_tasks(dagbag):
    dag = dagbag.dags["rebalance"]
    assert dag.schedule is None or dag.timetable.summary in ("None", "Never") and dag.max_active_runs == 1
    assert {t.task_id for t in dag.tasks} == {"reconcile_start", "load_positions", "compute_targets", "build_orders",
                                              "check_risk", "needs_approval", "approve_orders", "submit_orders",
                                              "track_fills", "reconcile_end", "publish_ledger", "summarise"}
    # approval: check_risk -> needs_approval -> approve_orders -> submit_orders; submit runs when approve_orders
    # succeeded or was skipped by the branch; the summary runs after a Reject (submit skipped) too
    assert dag.get_task("needs_approval").downstream_task_ids == {"approve_orders"}
    assert dag.get_task("approve_orders").downstream_task_ids == {"submit_orders"}
    assert dag.get_task("submit_orders").trigger_rule == "none_failed_min_one_success"
    assert dag.get_task("summarise").trigger_rule == "none_failed"
    assert dag.get_task("approve_orders").defaults is None  # a timeout never approves
    assert dag.get_task("publish_ledger").pool == "duckdb"
    params = dag.params
    assert params.get_param("dry_run").value is True and params.get_param("drift_threshold").value == 0.05
    assert params.get_param("broker").schema["enum"] == ["paper"]  # no execution.venues in the test config
    assert params.get_param("live_venue").value is None and "real money" in params.get_param("live_venue").description
    assert "risk_parity" in params.get_param("method").schema["enum"]
    assert dagbag.dags["risk_monitor"].timetable.expression == "*/15 * * * *"
    assert dagbag.dags["flatten_all"].params.get_param("dry_run").value is True
    monitor_dry_run = dagbag.dags["risk_monitor"].params.get_param("dry_run")  # scheduled: acts unless previewing
    assert monitor_dry_run.value is False and monitor_dry_run.schema["type"] == "boolean"
    assert monitor_dry_run.schema["title"] == "Dry run" and "preview" in monitor_dry_run.description
