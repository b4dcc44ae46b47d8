"""docker-compose.yml says what scripts/scaleout.py proves natively (containers cannot run here).

The compose file, its Dockerfile and .env.example are read as data: the services the issue names, one
image of the pinned Airflow, every setting of the common environment either set to the same value
natively (SHARED_SETTINGS) or named as host-specific (HOST_SETTINGS), secrets only from .env.
"""
import re

import pytest
import yaml

from scripts.scaleout import HOST_SETTINGS, SECRET_SETTINGS, SHARED_SETTINGS, stack_env
from tests.conftest import REPO

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker-1", "airflow-worker-2")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_the_services_of_the_official_layout_are_there(compose):
    services = compose["services"]
    assert set(AIRFLOW_SERVICES) | {"postgres", "redis", "flower"} <= set(services)
    assert services["flower"]["profiles"] == ["flower"]
    assert services["airflow-worker-1"]["hostname"] != services["airflow-worker-2"]["hostname"]
    api = services["airflow-apiserver"]
    assert api["ports"] == ["8080:8080"] and "/api/v2/monitor/health" in " ".join(api["healthcheck"]["test"])
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "airflow users create --role Admin" in init
    for name in AIRFLOW_SERVICES[1:]:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_every_component_has_the_settings_the_native_stack_runs_with(compose, tmp_path):
    native = stack_env(tmp_path, metadata_db="m", ledger_db="l", redis_db=1, api_port=1, config=None,
                       data_dir=tmp_path, executor="CeleryExecutor", concurrency=2)
    for name in AIRFLOW_SERVICES + ("flower",):
        env = compose["services"][name]["environment"]
        own = {k for k in env if k == "DUMB_INIT_SETSID" or k.startswith("_AIRFLOW_WWW_USER_")}
        assert set(env) - own == set(SHARED_SETTINGS) | set(HOST_SETTINGS), name
        for key, value in SHARED_SETTINGS.items():
            assert str(env[key]) == value == native[key], (name, key)
        assert compose["services"][name]["volumes"][0] == "peaktrade-data:/opt/peaktrade/data"
    for key in HOST_SETTINGS:
        assert key in native, key


def test_secrets_come_only_from_env(compose):
    env = compose["x-airflow-common"]["environment"]
    for key in SECRET_SETTINGS + ("PEAKTRADE_LEDGER_URL",):
        assert re.fullmatch(r"\$\{" + key + r":\?[^}]+\}", env[key]), key
    assert "${POSTGRES_PASSWORD:?" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    text = "\n".join(l for l in (REPO / "docker-compose.yml").read_text().splitlines() if not l.lstrip().startswith("#"))
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))  # $${...}: the container's own
    assert referenced <= set(example), referenced - set(example)
    for key in SECRET_SETTINGS + ("POSTGRES_PASSWORD", "_AIRFLOW_WWW_USER_PASSWORD"):
        assert example[key].startswith("change-me"), key
    assert any(key.startswith("AIRFLOW_CONN_") for key in example)
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_the_image_is_the_official_one_of_the_locked_airflow_with_the_lock(compose):
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (REPO / "requirements.txt").read_text(), re.M).group(1)
    assert re.search(rf"^ARG AIRFLOW_VERSION={re.escape(pinned)}$", dockerfile, re.M)
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python" in dockerfile
    assert "-r /opt/peaktrade/requirements.txt" in dockerfile
    assert compose["x-airflow-common"]["build"]["dockerfile"] == "docker/Dockerfile"
