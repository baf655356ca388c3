"""The generated DAG's failure callback marks a run failed in OpenMetadata when the engine could not.

The callback runs in the Airflow worker, without the engine: its functions are taken from a generated DAG
(``ast``) and run here against the OpenMetadata emulator, with the context Airflow hands a callback
(``run_id``, the task instance's ``try_number`` and ``map_index``). Its run id must be the engine's
(:func:`core.openmetadata.ingestion_pipeline.airflow_run_id`), so a run the engine started is found again.
"""

from __future__ import annotations

import ast
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.config import parse_workflow_config
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.generate.bundle import render_bundle
from core.generate.dag import DagOptions
from core.ingestion_run import run_ingestion
from core.openmetadata.client import OpenMetadataClient
from core.openmetadata.ingestion_pipeline import IngestionPipelineReporter, airflow_run_id

DAG = "dbx_callback"
SERVICE = "dbx_emulated"
FQN = f"{SERVICE}.{DAG}"
RUN = "manual__2026-11-29T10:00:00+00:00"
_NAMES = {"DAG_ID", "SECRETS_FROM", "SECRETS", "RUN_ID_NAMESPACE"}
_FUNCTIONS = {"_mask", "resolve_secrets", "report_failed_run", "_read_workflow", "_openmetadata"}


@pytest.fixture
def workspace() -> Workspace:
    return Workspace(WorkspaceSpec(jobs=3, tasks=2, runs=1, pipelines=1, seed=3))


def callback_of(source: str) -> Any:
    """``report_failed_run`` and what it uses, from a generated DAG, without importing Airflow."""
    tree = ast.parse(source)
    keep = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name in _FUNCTIONS)
        or (isinstance(node, ast.Assign) and {getattr(t, "id", None) for t in node.targets} & _NAMES)
    ]
    namespace: dict[str, Any] = {"os": os}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "dag.py", "exec"), namespace)
    return namespace["report_failed_run"]


@pytest.fixture
def deployed(
    tmp_path: Path,
    config: dict[str, Any],
    databricks: DatabricksEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Any, Path]:
    files = render_bundle(parse_workflow_config(config), DagOptions(dag_id=DAG))
    (tmp_path / f"{DAG}.yaml").write_text(files[f"{DAG}.yaml"])
    monkeypatch.setenv("DATABRICKS_TOKEN", databricks.token)
    monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", DEFAULT_JWT)
    return callback_of(files[f"{DAG}.py"]), tmp_path / f"{DAG}.yaml"


def context(try_number: int) -> dict[str, Any]:
    return {"run_id": RUN, "ti": SimpleNamespace(try_number=try_number, map_index=-1)}


def airflow_env(try_number: int) -> dict[str, str]:
    return {
        "AIRFLOW_CTX_DAG_ID": DAG,
        "AIRFLOW_CTX_DAG_RUN_ID": RUN,
        "AIRFLOW_CTX_TRY_NUMBER": str(try_number),
    }


def states(om: OpenMetadataEmulator) -> list[tuple[str, str]]:
    return [
        (status["runId"], status["pipelineState"]) for fqn, status in om.ingestion_status_log if fqn == FQN
    ]


def test_a_run_left_running_is_marked_failed_under_the_engines_run_id(
    deployed: tuple[Any, Path], config: dict[str, Any], openmetadata: OpenMetadataEmulator
) -> None:
    callback, yaml_path = deployed
    run_ingestion(config, environ=airflow_env(1))  # creates the service and the ingestion pipeline
    parsed = parse_workflow_config(config)
    run_id = airflow_run_id(airflow_env(2), SERVICE)
    assert run_id is not None
    assert parsed.server is not None
    client = OpenMetadataClient(parsed.server)
    try:
        IngestionPipelineReporter(client, parsed, name=DAG, run_id=run_id).start()  # ... then killed
    finally:
        client.close()
    started = openmetadata.ingestion_status_log[-1][1]["startDate"]

    callback(context(2), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))

    assert states(openmetadata)[-2:] == [(run_id, "running"), (run_id, "failed")]
    failed = openmetadata.ingestion_status_log[-1][1]
    assert failed["startDate"] == failed["timestamp"] == started and failed["endDate"] >= started
    assert [run["pipelineState"] for run in openmetadata.ingestion_runs(FQN) if run["runId"] == run_id] == [
        "failed"
    ]


def test_a_run_that_failed_before_the_engine_started_is_recorded_failed(
    deployed: tuple[Any, Path], config: dict[str, Any], openmetadata: OpenMetadataEmulator
) -> None:
    callback, yaml_path = deployed
    run_ingestion(config, environ=airflow_env(1))
    callback(context(2), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))
    assert states(openmetadata)[-1] == (airflow_run_id(airflow_env(2), SERVICE), "failed")


def test_a_run_the_engine_ended_is_left_as_reported(
    deployed: tuple[Any, Path], config: dict[str, Any], openmetadata: OpenMetadataEmulator
) -> None:
    callback, yaml_path = deployed
    run_ingestion(config, environ=airflow_env(1))
    before = list(openmetadata.ingestion_status_log)
    callback(context(1), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))
    assert openmetadata.ingestion_status_log == before
    assert states(openmetadata) == [(airflow_run_id(airflow_env(1), SERVICE), "success")]


def test_without_an_ingestion_pipeline_nothing_is_marked_and_nothing_raises(
    deployed: tuple[Any, Path], openmetadata: OpenMetadataEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    callback, yaml_path = deployed
    with caplog.at_level(logging.INFO, logger="airflow.task"):
        callback(context(1), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))
    assert openmetadata.ingestion_status_log == []
    assert f"no ingestion pipeline {FQN} in OpenMetadata yet" in caplog.text


def test_an_unreachable_server_or_a_missing_secret_is_one_warning_without_secrets(
    deployed: tuple[Any, Path],
    openmetadata: OpenMetadataEmulator,
    databricks: DatabricksEmulator,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    callback, yaml_path = deployed
    yaml_path.write_text(yaml_path.read_text().replace(openmetadata.url, "http://127.0.0.1:9"))
    with caplog.at_level(logging.INFO, logger="airflow.task"):
        callback(context(1), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))
        monkeypatch.delenv("OPENMETADATA_JWT_TOKEN")
        callback(context(1), str(yaml_path), ("DATABRICKS_TOKEN", "OPENMETADATA_JWT_TOKEN"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "dbx-pipeline: could not mark the run failed in OpenMetadata (URLError)",
        "dbx-pipeline: could not mark the run failed in OpenMetadata (RuntimeError)",
    ]
    assert DEFAULT_JWT not in caplog.text and databricks.token not in caplog.text


def test_no_callback_reporting_when_runs_are_not_reported(config: dict[str, Any]) -> None:
    source = render_bundle(parse_workflow_config(config), DagOptions(dag_id=DAG, report_runs=False))[
        f"{DAG}.py"
    ]
    assert "REPORT_RUNS = False" in source
    assert "def report_failed_run" not in source and "report_failed_run(" not in source


def test_a_mapped_task_marks_the_run_of_its_own_workspace(
    tmp_path: Path,
    config: dict[str, Any],
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    second = {**config, "source": {**config["source"], "serviceName": "dbx_second"}}
    files = render_bundle(
        [parse_workflow_config(config), parse_workflow_config(second)], DagOptions(dag_id=DAG)
    )
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    for suffix in ("_DBX_EMULATED", "_DBX_SECOND"):
        monkeypatch.setenv(f"DATABRICKS_TOKEN{suffix}", databricks.token)
        monkeypatch.setenv(f"OPENMETADATA_JWT_TOKEN{suffix}", DEFAULT_JWT)
    for workflow in (config, second):
        run_ingestion(workflow, environ=airflow_env(1))
    tree = ast.parse(files[f"{DAG}.py"])
    keep = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name in {*_FUNCTIONS, "workspace_of"})
        or (
            isinstance(node, ast.Assign)
            and {getattr(t, "id", None) for t in node.targets} & {*_NAMES, "WORKSPACES"}
        )
    ]
    namespace: dict[str, Any] = {"os": os, "HERE": tmp_path}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "dag.py", "exec"), namespace)
    before = len(openmetadata.ingestion_status_log)

    context = {"run_id": RUN, "ti": SimpleNamespace(try_number=2, map_index=1)}
    namespace["report_failed_run"](context, *namespace["workspace_of"](context))

    assert openmetadata.ingestion_status_log[before:] == [
        (f"dbx_second.{DAG}", openmetadata.ingestion_status_log[-1][1])
    ]
    status = openmetadata.ingestion_status_log[-1][1]
    assert (status["runId"], status["pipelineState"]) == (
        airflow_run_id(airflow_env(2), "dbx_second"),
        "failed",
    )
