"""make's `dbt parse` saves its parse state with the manifest; the first dbt run in the configured
data directory (publish_sweeps in a fresh clone) starts from it instead of parsing the whole project."""
from __future__ import annotations

from include.config.loader import data_dir, load_config
from include.warehouse import dbt_manifest, dbt_runner
from include.warehouse.dbt_runner import run_dbt


def test_the_first_run_in_the_configured_data_directory_parses_partially(tmp_path, monkeypatch):
    # make's files in a scratch target, so the test leaves the project's dbt/target alone
    target = tmp_path / "project-target"
    target.mkdir()
    monkeypatch.setattr(dbt_manifest, "MANIFEST", target / "manifest.json")
    monkeypatch.setattr(dbt_manifest, "PARTIAL_PARSE", target / "partial_parse.msgpack")
    monkeypatch.setattr(dbt_runner, "PARTIAL_PARSE", target / "partial_parse.msgpack")
    monkeypatch.setenv("PEAKTRADE_DATA_DIR", str(tmp_path / "data"))  # the configured data directory
    dbt_manifest.write_manifest()
    assert (target / "partial_parse.msgpack").is_file() and (target / "manifest.json").is_file()

    data = data_dir(load_config())
    # its dbt target has no state yet: dbt reads make's
    command, env = dbt_runner.dbt_command(["parse"], data)
    assert env["DBT_PARTIAL_PARSE_FILE_PATH"] == str(target / "partial_parse.msgpack")
    run_dbt(["parse"], data)
    log = (data / "warehouse" / "dbt_target" / "logs" / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in log and "Partial parsing enabled" in log, log[-3000:]
    # once a run there saved its own state (dbt saves one when it parsed anything), that one
    (data / "warehouse" / "dbt_target" / "partial_parse.msgpack").write_bytes(b"")
    assert "DBT_PARTIAL_PARSE_FILE_PATH" not in dbt_runner.dbt_command(["parse"], data)[1]
