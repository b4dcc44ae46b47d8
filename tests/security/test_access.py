"""Who may do what through the REST API v2 under the FAB auth manager (the scale-out setup), and what a
malformed trigger gets back.

One api-server for the module (no scheduler: the DAGs stay paused, so a trigger queues a run and no task
runs), on a fresh SQLite metadata database with the desk roles synced by `python -m operators.desk_roles`
and one user per role. Every request goes through the API with a token from /auth/token.
"""
import json
import secrets
import subprocess

import httpx
import pytest

from operators.desk_roles import TRADE_DAGS
from tests.conftest import REPO
from tests.dags.isolated_airflow import free_port, isolated_airflow, stop, wait_for
from tests.dags.stack_support import PARSE_TIMEOUTS
from tests.execution.desk_support import config_text

FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
USERS = {"viewer": "Viewer", "user": "User", "op": "Op", "trader": "Trader"}
PASSWORD = f"pw-{secrets.token_hex(8)}"
RESEARCH = ("market_data_ingest", "market_data_backfill", "warehouse_build", "nightly_sweep", "daily_report",
            "weekly_report")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    root = tmp_path_factory.mktemp("security")
    port = free_port()
    cli = isolated_airflow(
        root, config_text(),
        f"export AIRFLOW__CORE__AUTH_MANAGER={FAB} AIRFLOW__FAB__UPDATE_FAB_PERMS=False",
        f"export AIRFLOW__API__PORT={port} AIRFLOW__API__HOST=127.0.0.1",
        f"export AIRFLOW__API_AUTH__JWT_SECRET=sec-{secrets.token_hex(8)} AIRFLOW__API__SECRET_KEY=sec-{secrets.token_hex(8)}",
        "export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True",  # a trigger queues a run; nothing executes
        PARSE_TIMEOUTS,  # `dags reserialize` and `dags test` parse DAG files
    )
    synced = subprocess.run(["bash", "-c", f"{cli.prelude} && exec {REPO}/.venv/bin/python -m operators.desk_roles"],
                            env=cli.env, capture_output=True, text=True, timeout=600)
    assert synced.returncode == 0, synced.stderr[-3000:]
    reserialized = cli("dags reserialize")  # the DAGs into the database, their access_control synced as the DAG processor would
    assert reserialized.returncode == 0, reserialized.stderr[-3000:]
    made = cli(f"users create --username admin --password {PASSWORD} --role Admin --firstname admin "
               "--lastname desk --email admin@example.com")
    assert made.returncode == 0, made.stderr[-2000:]
    api = cli.start("api-server")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(base), 180, "the api-server", every=1)
        admin = {"Authorization": f"Bearer {_token(base, 'admin')}"}
        for name, role in USERS.items():  # through FAB's users API: one CLI call costs half a minute here
            made = httpx.post(f"{base}/auth/fab/v1/users", headers=admin, timeout=60, json={
                "username": name, "password": PASSWORD, "email": f"{name}@example.com", "first_name": name,
                "last_name": "desk", "roles": [{"name": role}]})
            assert made.status_code in (200, 201), made.text
        yield {"base": base, "sync_output": synced.stdout, "cli": cli}
    finally:
        stop([api])


def _token(base: str, user: str) -> str:
    answer = httpx.post(f"{base}/auth/token", json={"username": user, "password": PASSWORD}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def clients(stack):
    out = {name: httpx.Client(base_url=f"{stack['base']}/api/v2", timeout=60,
                              headers={"Authorization": f"Bearer {_token(stack['base'], name)}"})
           for name in [*USERS, "admin"]}
    yield out
    for client in out.values():
        client.close()


def _trigger(client: httpx.Client, dag_id: str, conf: dict | None = None) -> httpx.Response:
    return client.post(f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})


def test_unauthenticated_requests_are_refused(stack):
    base = stack["base"]
    for method, path in (("GET", "/dags"), ("GET", "/dags/rebalance/dagRuns"), ("GET", "/connections"),
                         ("GET", "/variables"), ("POST", "/dags/rebalance/dagRuns")):
        answer = httpx.request(method, f"{base}/api/v2{path}", json={"logical_date": None}, timeout=30)
        assert answer.status_code == 401, (method, path, answer.status_code)
    wrong = httpx.post(f"{base}/auth/token", json={"username": "viewer", "password": "not-it"}, timeout=30)
    assert wrong.status_code == 401


def test_viewer_reads_runs_but_triggers_approves_and_reads_secrets_nothing(clients):
    viewer = clients["viewer"]
    assert viewer.get("/dags/rebalance/dagRuns").status_code == 200
    assert viewer.get("/dags/~/dagRuns").status_code == 200
    for dag_id in ("rebalance", "flatten_all", "market_data_ingest"):
        assert _trigger(viewer, dag_id).status_code == 403, dag_id
    approval = viewer.patch("/dags/rebalance/dagRuns/any/taskInstances/approve_orders/-1/hitlDetails",
                            json={"chosen_options": ["Approve"], "params_input": {}})
    assert approval.status_code == 403
    assert viewer.get("/connections").status_code == 403
    assert viewer.get("/variables").status_code == 403


def test_user_triggers_research_but_not_the_desk(clients):
    user = clients["user"]
    for dag_id in RESEARCH:
        answer = _trigger(user, dag_id)
        assert answer.status_code == 200, (dag_id, answer.text)
    for dag_id in TRADE_DAGS:
        assert _trigger(user, dag_id, {"dry_run": True}).status_code == 403, dag_id
        # nor by the back doors: pausing it, or answering its approval
        assert user.patch(f"/dags/{dag_id}", json={"is_paused": False}).status_code == 403, dag_id
    approval = user.patch("/dags/rebalance/dagRuns/any/taskInstances/approve_orders/-1/hitlDetails",
                          json={"chosen_options": ["Approve"], "params_input": {}})
    assert approval.status_code == 403
    assert user.get("/connections").status_code == 403


def test_op_manages_connections_but_not_the_desk(clients):
    op = clients["op"]
    assert op.get("/connections").status_code == 200
    assert _trigger(op, "nightly_sweep").status_code == 200
    assert _trigger(op, "rebalance", {"dry_run": True}).status_code == 403


def test_only_the_configured_trade_role_triggers_the_desk(clients, stack):
    trader = clients["trader"]
    for dag_id in TRADE_DAGS:
        answer = _trigger(trader, dag_id, {"dry_run": True})
        assert answer.status_code == 200, (dag_id, answer.text)
    assert _trigger(trader, "market_data_backfill").status_code == 200  # a trader researches too
    # authorised to answer (the 404: no such run), where Viewer and User get 403
    approval = trader.patch("/dags/rebalance/dagRuns/none/taskInstances/approve_orders/-1/hitlDetails",
                            json={"chosen_options": ["Approve"], "params_input": {}})
    assert approval.status_code == 404, approval.text
    assert trader.get("/connections").status_code == 403
    assert "Trader: may trigger" in stack["sync_output"] and "flatten_all" in stack["sync_output"]
    # FAB's Admin holds every right (FAB resets it on each sync): the superuser, not a desk role
    assert _trigger(clients["admin"], "flatten_all", {"dry_run": True}).status_code == 200


def test_the_role_sync_refuses_a_setup_that_would_undo_it(stack):
    """With FAB's start-up sync on, each api-server start would give User back the desk: refused, said how to fix."""
    cli = stack["cli"]
    run = subprocess.run(["bash", "-c", f"{cli.prelude} && export AIRFLOW__FAB__UPDATE_FAB_PERMS=True && "
                          f"exec {REPO}/.venv/bin/python -m operators.desk_roles"],
                         env=cli.env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "desk roles: [fab] update_fab_perms is on" in run.stderr and "AIRFLOW__FAB__UPDATE_FAB_PERMS=False" in run.stderr
    assert "Traceback" not in run.stderr


# --- malformed trigger forms -------------------------------------------------------------------

HUGE = "X" * 200_000
FORMS = {  # dag id -> (field, malformed value) pairs the form's schema must refuse at trigger time
    "rebalance": [("method", "magic"), ("method", 7), ("symbols", "BTC/USDT"), ("symbols", []),
                  ("symbols", ["DOGE/EUR"]), ("drift_threshold", 2), ("drift_threshold", "0.1"),
                  ("drift_threshold", -0.5), ("max_turnover", "lots"), ("target_weights", [0.5]),
                  ("broker", HUGE), ("broker", None), ("dry_run", "no"), ("live_venue", 5)],
    "flatten_all": [("broker", "mt.gox"), ("broker", HUGE), ("dry_run", 0), ("live_venue", [])],
    "risk_monitor": [("broker", 1), ("broker", HUGE), ("dry_run", "false")],
    "market_data_backfill": [("exchange", "nowhere"), ("exchange", HUGE), ("symbols", "BTC/USDT"),
                             ("symbols", []), ("symbols", [1]), ("timeframe", "7x"),
                             ("start", "2024-13-45"), ("start", HUGE), ("end", 20240101)],
    "nightly_sweep": [("sweeps", "all"), ("sweeps", ["no_such_sweep"]), ("sweeps", [HUGE])],
    "daily_report": [("date", "yesterday"), ("date", HUGE), ("email", "yes")],
    "weekly_report": [("date", 20240101), ("email", None)],
}


@pytest.mark.parametrize("dag_id", sorted(FORMS))
def test_malformed_forms_are_refused_at_trigger_with_the_fields_message(clients, dag_id):
    trader = clients["trader"]  # may trigger every DAG: a 400 here is the form, never the role
    before = trader.get(f"/dags/{dag_id}/dagRuns").json()["total_entries"]
    for field, value in FORMS[dag_id]:
        answer = _trigger(trader, dag_id, {field: value})
        assert answer.status_code == 400, (dag_id, field, answer.status_code, answer.text[:300])
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and detail.startswith(f"Invalid input for param {field}:"), detail[:300]
        assert "Traceback" not in detail and 'File "' not in detail, detail[:300]
    assert trader.get(f"/dags/{dag_id}/dagRuns").json()["total_entries"] == before  # no run was created


def test_every_form_dag_is_fuzzed(clients):
    """The table above covers every DAG with a form (a new form DAG must join it)."""
    dags = clients["viewer"].get("/dags", params={"limit": 100}).json()["dags"]
    with_forms = set()
    for dag in dags:
        params = clients["viewer"].get(f"/dags/{dag['dag_id']}/details").json().get("params") or {}
        if params:
            with_forms.add(dag["dag_id"])
    assert with_forms == set(FORMS)
    assert {d["dag_id"] for d in dags} == set(RESEARCH) | set(TRADE_DAGS)


def test_an_unknown_field_fails_the_run_before_any_work(stack):
    """Airflow keeps conf keys the form does not declare (a misspelt `dryrun` would run with the default):
    the first task refuses them, naming the form's fields, before it does any work."""
    run = stack["cli"]("dags test flatten_all -c '" + json.dumps({"dryrun": False}) + "'")
    out = run.stdout + run.stderr
    assert "params: unknown field 'dryrun'; the form's fields: broker, dry_run, live_venue" in out, out[-3000:]
    assert run.returncode != 0 or "state=failed" in out or "State.FAILED" in out, out[-3000:]
