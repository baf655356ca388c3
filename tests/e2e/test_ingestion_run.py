"""End to end: ``run_ingestion`` (what a DAG's task runs) over both emulators, reported to the Ingestions tab.

Each run's statuses are read back from the OpenMetadata emulator: the entity, every status it accepted
in order (``ingestion_status_log``) and the runs as the tab lists them (``ingestion_runs``).
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from core.config import parse_workflow_config
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.errors import ConfigError, WorkflowExecutionError
from core.ingestion_run import run_ingestion
from core.openmetadata.client import OpenMetadataClient
from core.openmetadata.ingestion_pipeline import IngestionPipelineReporter
from core.report import RunReport

SERVICE = "dbx_emulated"
DAG = "databricks_pipelines_to_openmetadata"
FQN = f"{SERVICE}.{DAG}"
AIRFLOW = {
    "AIRFLOW_CTX_DAG_ID": DAG,
    "AIRFLOW_CTX_DAG_RUN_ID": "manual__2026-11-29",
    "AIRFLOW_CTX_TRY_NUMBER": "1",
}


@pytest.fixture
def workspace() -> Workspace:
    """Smaller than the shared one: these tests are about what is reported, not what is ingested."""
    return Workspace(WorkspaceSpec(jobs=8, tasks=3, runs=2, pipelines=2, seed=7))


def states(om: OpenMetadataEmulator) -> list[str]:
    return [status["pipelineState"] for fqn, status in om.ingestion_status_log if fqn == FQN]


def test_a_successful_run_is_reported_running_then_success(
    openmetadata: OpenMetadataEmulator, config: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ingestion(config, environ=AIRFLOW)  # the first run creates the service: only its end is reported
    assert states(openmetadata) == ["success"]
    openmetadata.reset_counters()
    result = run_ingestion(config, environ={**AIRFLOW, "AIRFLOW_CTX_TRY_NUMBER": "2"})

    assert result["ok"] and result["ingestionPipeline"]["fqn"] == FQN
    assert result["ingestionPipeline"]["states"] == ["running", "success"]
    assert states(openmetadata) == ["success", "running", "success"]
    entity = openmetadata.ingestion_pipelines[FQN]
    assert entity["pipelineType"] == "metadata" and entity["service"]["name"] == SERVICE
    assert entity["sourceConfig"]["config"]["type"] == "PipelineMetadata"
    runs = openmetadata.ingestion_runs(FQN)
    assert len(runs) == 2 and runs[1]["runId"] == result["ingestionPipeline"]["runId"]
    last = runs[1]
    assert last["startDate"] == last["timestamp"] <= last["endDate"]
    source, sink = last["status"]
    assert (source["name"], source["records"], source["errors"]) == ("Source", result["kept"], 0)
    assert sink["name"] == "Sink" and sink["errors"] == 0
    assert "Listed" in capsys.readouterr().out  # the report is printed, as the task log shows it


def test_a_partial_failure_is_reported_and_fails_the_task(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run_ingestion(config, ingestion_pipeline=DAG)
    openmetadata.inject(
        kind=FaultKind.STATUS,
        status=400,
        method="PUT",
        path=r"^/api/v1/pipelines(/bulk)?$",
        times=1,
        body={"code": 400, "message": "rejected for the test"},
    )
    config["source"]["sourceConfig"]["config"]["overrideMetadata"] = True  # every pipeline is written again
    with pytest.raises(WorkflowExecutionError, match="1 failure"):
        run_ingestion(config, ingestion_pipeline=DAG, run_id="1b4f0e9a-0c3c-4c5e-9f59-6c1b2a3d4e5f")

    assert states(openmetadata)[-2:] == ["running", "partialSuccess"]
    ended = openmetadata.ingestion_runs(FQN)[-1]
    assert ended["runId"] == "1b4f0e9a-0c3c-4c5e-9f59-6c1b2a3d4e5f"
    sink = ended["status"][1]
    assert sink["errors"] == 1 and "rejected for the test" in sink["failures"][0]["error"]


def test_a_failed_run_is_reported_failed(
    databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config_for: Any
) -> None:
    good = config_for(databricks, openmetadata)
    run_ingestion(good, ingestion_pipeline=DAG)
    refused = config_for(databricks, openmetadata, connection={"authType": {"token": "dapi-revoked"}})
    with pytest.raises(WorkflowExecutionError):
        run_ingestion(refused, ingestion_pipeline=DAG)

    assert states(openmetadata)[-2:] == ["running", "failed"]
    source = openmetadata.ingestion_runs(FQN)[-1]["status"][0]
    assert source["errors"] == 1 and "token" in source["failures"][0]["error"].lower()


def test_a_run_that_cannot_start_is_still_reported_failed(
    databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config_for: Any
) -> None:
    run_ingestion(config_for(databricks, openmetadata), ingestion_pipeline=DAG)
    unreachable = config_for(databricks, openmetadata, connection={"hostPort": "http://127.0.0.1:9"})
    with pytest.raises(Exception) as raised:
        run_ingestion(unreachable, ingestion_pipeline=DAG)
    assert not isinstance(raised.value, WorkflowExecutionError)  # nothing ran: the connection error itself
    assert states(openmetadata)[-2:] == ["running", "failed"]
    assert "status" not in openmetadata.ingestion_runs(FQN)[-1]  # no report to summarise


@pytest.mark.parametrize("route", [r"^/api/v1/services/ingestionPipelines.*", r".*/pipelineStatus$"])
def test_reporting_down_costs_one_warning_and_the_ingestion_goes_on(
    openmetadata: OpenMetadataEmulator, config: dict, caplog: pytest.LogCaptureFixture, route: str
) -> None:
    run_ingestion(config, report=False)  # the service exists: reporting is attempted from the start
    openmetadata.inject(
        kind=FaultKind.STATUS, status=500, path=route, times=None, body={"code": 500, "message": "down"}
    )
    with caplog.at_level(logging.WARNING):
        result = run_ingestion(config, ingestion_pipeline=DAG)

    assert result["ok"] and result["kept"] > 0
    warnings = [r for r in caplog.records if r.name == "core.openmetadata.ingestion_pipeline"]
    assert len(warnings) == 1 and "the ingestion goes on" in warnings[0].getMessage()
    assert result["warnings"][-1] == warnings[0].getMessage()  # and the report says it too
    assert result["ingestionPipeline"]["states"] == []


def test_a_transient_reporting_error_is_asked_again(
    openmetadata: OpenMetadataEmulator, config: dict, caplog: pytest.LogCaptureFixture
) -> None:
    run_ingestion(config, report=False)
    openmetadata.inject(kind=FaultKind.STATUS, status=502, path=r"/pipelineStatus$", times=1)
    with caplog.at_level(logging.WARNING):
        result = run_ingestion(config, ingestion_pipeline=DAG)
    assert result["ingestionPipeline"]["states"] == ["running", "success"]
    assert not [r for r in caplog.records if r.name == "core.openmetadata.ingestion_pipeline"]


def test_a_server_that_refuses_step_summaries_still_gets_the_runs_state(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run_ingestion(config, report=False)
    parsed = parse_workflow_config(config)
    assert parsed.server is not None
    client = OpenMetadataClient(parsed.server, retries=0)
    reporter = IngestionPipelineReporter(client, parsed, name=DAG, run_id=str(uuid.uuid4()))
    reporter.start()
    refused = 'Unrecognized field "status" (class ...PipelineStatus), not marked as ignorable'
    openmetadata.inject(
        kind=FaultKind.STATUS,
        status=400,
        method="PUT",
        path=r"/pipelineStatus$",
        body={"code": 400, "message": refused},
    )
    reporter.finish(RunReport(service=SERVICE))
    client.close()
    assert reporter.warning is None and states(openmetadata) == ["running", "success"]
    assert "status" not in openmetadata.ingestion_runs(FQN)[0]


def test_reporting_can_be_turned_off(openmetadata: OpenMetadataEmulator, config: dict) -> None:
    result = run_ingestion(config, environ=AIRFLOW, report=False)
    assert result["ok"] and result["ingestionPipeline"] is None
    assert openmetadata.ingestion_pipelines == {} and openmetadata.ingestion_status_log == []
    assert not [path for _, path, _ in openmetadata.received if "ingestionPipelines" in path]


def test_outside_airflow_without_a_name_nothing_is_reported(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    assert run_ingestion(config, environ={})["ingestionPipeline"] is None
    assert openmetadata.ingestion_pipelines == {}


def test_the_yamls_ingestion_pipeline_fqn_and_run_id_are_used(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    run_ingestion(config, report=False)
    config["ingestionPipelineFQN"] = f"{SERVICE}.from_yaml"
    config["pipelineRunId"] = "0c7e53b2-49f8-4b5e-8f0e-7d7d2a3c6b1a"
    result = run_ingestion(config, environ={})
    assert result["ingestionPipeline"] == {
        "fqn": f"{SERVICE}.from_yaml",
        "runId": "0c7e53b2-49f8-4b5e-8f0e-7d7d2a3c6b1a",
        "states": ["running", "success"],
    }


def test_no_token_in_any_payload_log_or_output(
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    yaml_file: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config["source"]["serviceConnection"]["config"]["authType"] = {"token": "${DATABRICKS_TOKEN}"}
    config["workflowConfig"]["openMetadataServerConfig"]["securityConfig"] = {"jwtToken": "${OM_JWT}"}
    config["workflowConfig"]["loggerLevel"] = "DEBUG"
    path: Path = yaml_file(config)
    environ = {**AIRFLOW, "DATABRICKS_TOKEN": databricks.token, "OM_JWT": DEFAULT_JWT}
    openmetadata.inject(
        kind=FaultKind.STATUS, status=400, method="PUT", path=r"^/api/v1/pipelines(/bulk)?$", times=1,
        body={"code": 400, "message": f"rejected {databricks.token} {DEFAULT_JWT}"},
    )  # fmt: skip
    with caplog.at_level(logging.DEBUG), pytest.raises(WorkflowExecutionError) as raised:
        run_ingestion(path, environ=environ)
    run_ingestion(path, environ={**environ, "AIRFLOW_CTX_TRY_NUMBER": "2"})

    seen = "\n".join([
        caplog.text, *capsys.readouterr(), str(raised.value),
        json.dumps(openmetadata.ingestion_pipelines), json.dumps(openmetadata.ingestion_status_log),
    ])  # fmt: skip
    assert FQN in json.dumps(openmetadata.ingestion_pipelines) and "partialSuccess" in seen
    for secret in (databricks.token, DEFAULT_JWT):
        assert secret not in seen


def test_a_bad_yaml_is_a_config_error_and_nothing_is_reported(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    config["source"]["serviceName"] = ""
    with pytest.raises(ConfigError):
        run_ingestion(config, environ=AIRFLOW)
    assert openmetadata.ingestion_status_log == []
