"""What the wizard's buttons serve and start, tested through ``ui.services`` (AppTest cannot read downloads).

The download buttons serve ``services.export_files(state)``; the preview and Run now run
``services.start_preview`` / ``services.start_run`` in background threads. These tests call the same
functions with states built like the pages build them.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from core.config import parse_workflow_config
from core.databricks.source import JOBS_PAGE_SIZE
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.generate.wheel import engine_wheel
from ui import services
from ui.jobs import PreviewJob
from ui.state import WizardState

DUMMY_ENV = {"DATABRICKS_TOKEN": "dummy-token", "OPENMETADATA_JWT_TOKEN": "dummy-jwt"}


@pytest.fixture
def demo_state() -> WizardState:
    state = WizardState()
    services.apply_demo(state)
    state.filters.add("include", "starts", "etl")
    state.filters.add("exclude", "ends", "_tmp")
    return state


def _secrets() -> list[str]:
    return [services.start_demo()["databricks"].token, DEFAULT_JWT]


def test_downloaded_yaml_is_a_valid_workflow_with_references_only(demo_state: WizardState) -> None:
    export = services.export_files(demo_state)
    text = export.files[export.yaml_name]
    assert export.yaml_name == "demo_databricks_to_openmetadata.yaml"
    assert "${DATABRICKS_TOKEN}" in text and "${OPENMETADATA_JWT_TOKEN}" in text
    for secret in _secrets():
        assert secret not in text
    config = parse_workflow_config(yaml.safe_load(text), environ=DUMMY_ENV)
    assert config.source.connection.auth.token.get_secret_value() == "dummy-token"  # type: ignore[union-attr]
    assert config.source.options.pipeline_filter_pattern is not None
    assert config.source.options.pipeline_filter_pattern.includes == ["etl"]
    assert config.source.options.pipeline_filter_pattern.excludes == [".*_tmp$"]
    assert config.server is not None and config.server.host_port == demo_state.sink.om_host


def test_downloaded_dag_compiles_and_never_backfills(demo_state: WizardState) -> None:
    demo_state.schedule.preset = "custom"
    demo_state.schedule.custom_cron = "15 3 * * *"
    demo_state.schedule.timezone = "Europe/Berlin"
    export = services.export_files(demo_state)
    dag = export.files[export.dag_name]
    compile(dag, export.dag_name, "exec")
    assert "catchup=False" in dag
    assert "15 3 * * *" in dag and "Europe/Berlin" in dag
    assert export.dag_name == "demo_databricks_to_openmetadata.py"
    for secret in _secrets():
        assert secret not in dag


def test_zip_holds_the_yaml_the_dag_and_a_deploy_readme(demo_state: WizardState) -> None:
    export = services.export_files(demo_state)
    members = services.zip_members(export.zip_bytes)
    assert set(members) == {export.yaml_name, export.dag_name, "README.md"}
    names = zipfile.ZipFile(io.BytesIO(export.zip_bytes)).namelist()
    assert [name for name in names if name.endswith(".whl")] == [engine_wheel().filename]  # the engine
    assert members[export.yaml_name] == export.files[export.yaml_name]
    assert members[export.dag_name] == export.files[export.dag_name]
    assert "DATABRICKS_TOKEN" in members["README.md"]
    for secret in _secrets():
        assert all(secret not in text for text in members.values())


@pytest.mark.parametrize("mode", ["variable", "connection"])
def test_secret_sources_follow_the_chosen_mode(demo_state: WizardState, mode: str) -> None:
    demo_state.schedule.secrets = mode
    export = services.export_files(demo_state)
    wheres = [where for where, _ in export.secret_sources]
    if mode == "variable":
        assert wheres == ["DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"]
    else:
        assert wheres == ["databricks_default (password)", "openmetadata_default (password)"]


def test_schedule_step_shows_every_wrong_field_at_its_input(demo_state: WizardState) -> None:
    demo_state.schedule.preset = "custom"
    demo_state.schedule.custom_cron = "61 * * * *"
    demo_state.schedule.dag_id = "has space"
    demo_state.schedule.owner = " "
    demo_state.schedule.email = "not-an-address"
    errors = services.field_errors(demo_state)
    assert errors["sched_cron"] == "Minute field '61' is out of range 0-59."
    assert errors["dag_id"] == "'has space' must be 1-200 letters, digits, '_', '.' or '-'."
    assert errors["dag_owner"] == "The owner is empty."
    assert errors["dag_email"] == "'not-an-address' is not an e-mail address."


def test_inline_secrets_are_refused(demo_state: WizardState) -> None:
    demo_state.schedule.secrets = "inline"
    with pytest.raises(services.ConfigError, match="does not write secret values"):
        services.export_files(demo_state)


def test_export_needs_no_secret(demo_state: WizardState) -> None:
    """Files only reference secrets, so a user without the token at hand still gets valid files."""
    demo_state.databricks.token = None
    demo_state.sink.jwt = None
    assert "dbx_token" not in services.export_problems(demo_state)
    export = services.export_files(demo_state)
    assert "entered-at-run-time" not in export.files[export.yaml_name]
    assert "dbx_token" in services.run_problems(demo_state)


def test_exported_yaml_imports_back_to_the_same_settings(demo_state: WizardState) -> None:
    export = services.export_files(demo_state)
    imported = WizardState()
    result = services.import_workflow(imported, export.files[export.yaml_name].encode(), export.yaml_name)
    assert result.ok, result.message
    assert imported.databricks.host == demo_state.databricks.host
    assert imported.databricks.http_path == demo_state.databricks.http_path
    assert imported.databricks.token is None  # a ${REF} in the file: the value is not in it
    assert [(r.kind, r.operator, r.value) for r in imported.filters.rules] == [
        ("include", "starts", "etl"),
        ("exclude", "ends", "_tmp"),
    ]
    assert imported.options == demo_state.options
    assert imported.sink.om_host == demo_state.sink.om_host


def test_import_refuses_oversized_and_non_utf8_files() -> None:
    state = WizardState()
    big = services.import_workflow(state, b"a: 1\n" * 300_000, "big.yaml")
    assert not big.ok and "at most 1,000,000" in big.message
    latin = services.import_workflow(state, "source: caf\xe9".encode("latin-1"), "latin.yaml")
    assert not latin.ok and "not UTF-8" in latin.message
    not_workflow = services.import_workflow(state, b"- a\n- b\n", "list.yaml")
    assert not not_workflow.ok and "no 'source' section" in not_workflow.message


def test_import_never_reads_the_servers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVER_SECRET", "do-not-leak-this-value")
    text = "source:\n  type: databrickspipeline\n  serviceName: ${SERVER_SECRET}\n"
    state = WizardState()
    services.import_workflow(state, text.encode(), "w.yaml")
    assert "do-not-leak" not in repr(state)
    assert state.databricks.service_name == "${SERVER_SECRET}"


def _state_for(server: DatabricksEmulator) -> WizardState:
    state = WizardState()
    state.databricks.host = server.url
    state.databricks.token = SecretStr(server.token)
    state.databricks.service_name = "big"
    state.databricks.timeout_s = 30
    return state


def _wait_until(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    """Poll ``condition`` until it holds; the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


def test_preview_of_10000_jobs_streams_rows_before_the_listing_ends() -> None:
    """The 10,000-job case: first rows arrive while the listing goes on (shown deterministically: the third
    page is held, so the listing cannot end while the first two pages are already in the view)."""
    workspace = Workspace(WorkspaceSpec(jobs=10_000, tasks=3, runs=0, pipelines=5, seed=3))
    with DatabricksEmulator(workspace) as server:
        state = _state_for(server)
        with server.hold(r"/jobs/list$", method="GET", after=2) as page_3:
            job = services.start_preview(state)
            assert job is not None
            page_3.wait_until_held()
            _wait_until(lambda: job.count == 2 * JOBS_PAGE_SIZE, "the first two pages are in the preview")
            partial = services.decide_preview(state)
            assert not job.done
        assert partial.listing and partial.total == 2 * JOBS_PAGE_SIZE, "no rows while the listing runs"
        assert job.wait(120) and job.error is None
        total_s = job.elapsed_s
        state.filters.add("include", "contains", "daily")
        started = time.perf_counter()
        view = services.decide_preview(state)
        decide_s = time.perf_counter() - started
    print(  # figures for the reader; timings are measured by benchmarks, not asserted here
        f"\n10,000-job preview: first rows {job.first_row_s:.2f} s, all {view.total:,} rows {total_s:.2f} s, "
        f"re-filtering all rows {decide_s * 1000:.0f} ms"
    )
    assert view.total == 10_005 and 0 < view.kept < view.total
    assert job.first_row_s is not None and job.first_row_s < total_s
    assert len(view.rows) == 5000  # the table is capped; the counts are not


def test_preview_is_not_relisted_when_only_the_rules_change(demo_state: WizardState) -> None:
    job = services.start_preview(demo_state)
    assert job is not None and job.wait(30)
    demo_state.filters.add("include", "contains", "sales")
    assert services.start_preview(demo_state) is job
    demo_state.databricks.timeout_s = 31  # a connection setting: the old listing is stale
    assert services.start_preview(demo_state) is not job


def test_preview_decisions_are_cached_and_extended() -> None:
    job: PreviewJob[int, int] = PreviewJob()
    calls: list[int] = []

    def decide(row: int) -> int:
        calls.append(row)
        return row * 2

    for row in range(3):
        job.add(row)
    assert job.decided("rules-a", decide) == [0, 2, 4]
    job.add(3)
    assert job.decided("rules-a", decide) == [0, 2, 4, 6]
    assert calls == [0, 1, 2, 3]  # only the new row was decided
    assert job.decided("rules-b", decide) == [0, 2, 4, 6] and len(calls) == 8


def test_unreachable_workspace_gives_a_sentence_not_a_traceback() -> None:
    state = WizardState()
    state.databricks.host = "http://127.0.0.1:9"
    state.databricks.token = SecretStr("dapi-unused-000000")
    job = services.start_preview(state)
    assert job is not None and job.wait(30)
    assert job.error is not None and "cannot connect to 127.0.0.1:9" in job.error
    assert "Traceback" not in job.error


def test_run_now_into_a_file_sink(demo_state: WizardState, tmp_path: Path) -> None:
    """The file sink: the run writes one JSON request body per line, and the report says how many."""
    target = tmp_path / "out" / "pipelines.jsonl"
    demo_state.sink.kind = "file"
    demo_state.sink.filename = str(target)
    check = services.check_connection(demo_state, "sink", 5)
    assert not check.ok and "does not exist" in (check.steps[0].error or "")
    target.parent.mkdir()
    assert services.check_connection(demo_state, "sink", 5).ok
    job = services.start_run(demo_state, dry_run=False)
    assert job.wait(120), "the run did not finish"
    assert job.error is None and job.report is not None and job.report.ok
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    report: dict[str, Any] = job.report.as_dict()
    assert report["written"] == report["kept"] > 0
    assert sum(1 for line in lines if "tasks" in json.dumps(line)) >= report["kept"]
    assert job.event is not None and job.event.phase == "done"


def test_run_can_be_stopped(demo_state: WizardState) -> None:
    job = services.start_run(demo_state, dry_run=True)
    job.stop()
    assert job.wait(60)
    assert job.error is None and job.report is not None


def test_openmetadata_can_be_tested_before_databricks_is_filled_in() -> None:
    """Step 5 tested first: the empty Databricks step must not fail the OpenMetadata test."""
    demo = services.start_demo()
    state = WizardState()
    state.sink.om_host = f"{demo['openmetadata'].url}/api"
    state.sink.jwt = SecretStr(DEFAULT_JWT)
    result = services.check_connection(state, "sink", 10)
    assert result.ok, [(s.name, s.error) for s in result.steps]
    assert state.om_version == "2.0.7"
    assert services.current_dialect(state) == "2.x"


def test_a_1x_server_picks_the_1x_dialect(demo_state: WizardState) -> None:
    """The version found by the test picks the YAML dialect: a 1.x server gets ``token:``."""
    from core.emulators.openmetadata import OpenMetadataEmulator

    with OpenMetadataEmulator(version="1.6.2") as old_server:
        demo_state.sink.om_host = f"{old_server.url}/api"
        assert services.check_connection(demo_state, "sink", 10).ok
    assert demo_state.om_version == "1.6.2"
    export = services.export_files(demo_state)
    connection = yaml.safe_load(export.files[export.yaml_name])["source"]["serviceConnection"]["config"]
    assert export.dialect == "1.x"
    assert connection["token"] == "${DATABRICKS_TOKEN}" and "authType" not in connection
