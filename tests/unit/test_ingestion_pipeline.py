"""The ingestion pipeline payloads follow OpenMetadata's schemas; run states and step summaries follow its workflow.

The request bodies are validated with jsonschema against the 1.13 schemas: ``createIngestionPipeline.json``
and ``ingestionPipeline.json#/definitions/pipelineStatus`` (vendored in
``tests/data/openmetadata-schemas-ingestion/``, with every other ``$ref`` from the usual schema tree).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from core.config import parse_workflow_config
from core.errors import SinkAuthError
from core.openmetadata.ingestion_pipeline import (
    MAX_REPORTED_FAILURES,
    IngestionPipelineStatus,
    airflow_run_id,
    create_request,
    pipeline_state,
    step_summaries,
    success_percent,
)
from core.report import RunReport
from tests.paths import REPO, SCHEMA_BASE, schema_root

INGESTION_SCHEMAS = REPO / "tests" / "data" / "openmetadata-schemas-ingestion"
CREATE = SCHEMA_BASE + "api/services/ingestionPipelines/createIngestionPipeline.json"
STATUS = SCHEMA_BASE + "entity/services/ingestionPipelines/ingestionPipeline.json#/definitions/pipelineStatus"
TOKEN = "dapi0123456789abcdef0123456789abcdef"


@cache
def _validator(ref: str) -> Any:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT7

    roots = (INGESTION_SCHEMAS, schema_root())

    def retrieve(uri: str) -> Resource:
        relative = uri[len(SCHEMA_BASE) :] if uri.startswith(SCHEMA_BASE) else None
        for root in roots:
            if relative is not None and (root / relative).is_file():
                contents = json.loads((root / relative).read_text())
                return Resource.from_contents(contents, default_specification=DRAFT7)
        raise NoSuchResource(ref=uri)

    registry: Registry = Registry(retrieve=retrieve)
    return Draft7Validator({"$ref": ref}, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def _errors(ref: str, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(ref).iter_errors(body)]


def _config(**workflow: Any) -> Any:
    return parse_workflow_config(
        {
            "source": {
                "type": "databrickspipeline",
                "serviceName": "dbx.prod",
                "serviceConnection": {
                    "config": {"type": "DatabricksPipeline", "hostPort": "https://x.cloud.databricks.com",
                               "authType": {"token": TOKEN}}
                },
                "sourceConfig": {
                    "config": {"type": "PipelineMetadata", "includeLineage": False,
                               "pipelineFilterPattern": {"includes": ["^etl"]}}
                },
            },
            "sink": {"type": "metadata-rest", "config": {}},
            "workflowConfig": {
                "openMetadataServerConfig": {"hostPort": "http://om:8585/api", "authProvider": "openmetadata",
                                             "securityConfig": {"jwtToken": "eyJh.eyJz.sig"}},
                **workflow,
            },
        }
    )  # fmt: skip


def _report(**counts: Any) -> RunReport:
    report = RunReport(service="dbx.prod", listing_complete=True)
    report.kept = counts.pop("kept", 10)
    report.filtered = counts.pop("filtered", 2)
    for kind in ("created", "updated", "unchanged"):
        report.changes[kind] = counts.pop(kind, 0)
    report.statuses = counts.pop("statuses", 0)
    for index in range(counts.pop("failures", 0)):
        report.fail(str(index), f"job-{index}", f"OpenMetadata rejected it (400 bad {TOKEN})")
    assert not counts
    return report


# -- the entity ------------------------------------------------------------------------------------------


def test_the_create_request_validates_against_the_schema() -> None:
    request = create_request(
        _config(loggerLevel="WARNING"),
        "databricks_to_om",
        str(uuid.uuid4()),
        {
            "scheduleInterval": "0 2 * * *",
            "pipelineTimezone": "Europe/Paris",
            "retries": 2,
            "retryDelay": 300,
        },
    )
    assert _errors(CREATE, request) == []
    assert request["pipelineType"] == "metadata" and request["service"]["type"] == "pipelineService"
    assert request["loggerLevel"] == "WARN"  # OpenMetadata's logLevels has no WARNING
    assert request["sourceConfig"]["config"]["pipelineFilterPattern"] == {
        "includes": ["^etl"],
        "excludes": [],
    }
    assert TOKEN not in json.dumps(request) and "eyJh" not in json.dumps(request)


def test_the_validator_rejects_what_the_server_would() -> None:
    good = create_request(_config(), "dag", str(uuid.uuid4()))
    assert _errors(CREATE, good) == []
    assert _errors(CREATE, {**good, "pipelineType": "pipelines"})
    assert _errors(CREATE, {**good, "airflowConfig": {"schedule": "daily"}})
    assert _errors(CREATE, {key: value for key, value in good.items() if key != "service"})
    assert _errors(CREATE, {**good, "sourceConfig": {"config": {"type": "PipelineMetadata", "x": 1}}})
    assert _errors(STATUS, {"runId": "r", "pipelineState": "succeeded"})
    assert _errors(STATUS, {"runId": "r", "status": [{"name": "Sink", "records": "3"}]})


def test_every_status_sent_validates_against_the_schema() -> None:
    start = 1_767_225_600_000
    running: IngestionPipelineStatus = {
        "runId": str(uuid.uuid4()), "pipelineState": "running", "startDate": start, "timestamp": start,
    }  # fmt: skip
    ended: IngestionPipelineStatus = {
        **running,
        "pipelineState": "partialSuccess",
        "endDate": start + 5000,
        "status": step_summaries(_report(created=8, failures=2)),
    }
    assert _errors(STATUS, running) == [] and _errors(STATUS, ended) == []


# -- step summaries and the run's state --------------------------------------------------------------------


def test_the_steps_are_named_and_counted_like_openmetadatas_workflow() -> None:
    report = _report(kept=10, filtered=3, created=4, updated=3, unchanged=2, statuses=20, failures=1)
    report.warn("a warning")
    source, sink = step_summaries(report)
    assert source == {"name": "Source", "records": 10, "updated_records": 0, "warnings": 1, "errors": 0,
                      "filtered": 3}  # fmt: skip
    assert sink["name"] == "Sink" and sink["records"] == 4 + 2 + 20 and sink["updated_records"] == 3
    assert sink["errors"] == 1 and len(sink["failures"]) == 1
    assert sink["failures"][0]["name"] == "job-0" and TOKEN not in sink["failures"][0]["error"]


def test_a_failure_that_stopped_the_listing_belongs_to_the_source() -> None:
    report = _report(kept=0)
    report.fail(None, None, "Databricks refused the token", phase="listing")
    source, sink = step_summaries(report)
    assert source["errors"] == 1 and source["failures"][0] == {
        "name": "listing",
        "error": "Databricks refused the token",
    }
    assert sink["errors"] == 0 and "failures" not in sink


def test_failures_are_listed_up_to_ten_and_all_counted() -> None:
    _, sink = step_summaries(_report(created=5, failures=25))
    assert sink["errors"] == 25 and len(sink["failures"]) == MAX_REPORTED_FAILURES == 10


@pytest.mark.parametrize(
    ("counts", "state"),
    [
        ({"created": 10}, "success"),
        ({"created": 0}, "success"),  # nothing to do is no failure
        ({"created": 99, "failures": 1}, "partialSuccess"),  # Sink 99 %, Source 100 %: mean 99.5 >= 90
        ({"created": 10, "failures": 10}, "failed"),  # Sink 50 %: mean 75 < 90
    ],
)
def test_the_run_state_follows_the_success_threshold(counts: dict[str, int], state: str) -> None:
    assert pipeline_state(_report(**counts), 90) == state


def test_the_threshold_is_the_workflows_own() -> None:
    report = _report(created=10, failures=10)
    assert success_percent(step_summaries(report)) == 75.0
    assert pipeline_state(report, 75) == "partialSuccess" and pipeline_state(report, 76) == "failed"


def test_a_run_that_stopped_early_failed_whatever_its_counts() -> None:
    fatal = _report(created=99, failures=1)
    fatal.fatal = SinkAuthError("refused")
    interrupted = _report(created=99)
    interrupted.interrupted = True
    assert pipeline_state(fatal, 0) == "failed" and pipeline_state(interrupted, 0) == "failed"


# -- run ids -------------------------------------------------------------------------------------------


def test_an_airflow_task_try_has_one_stable_uuid_per_service() -> None:
    env = {"AIRFLOW_CTX_DAG_ID": "d", "AIRFLOW_CTX_DAG_RUN_ID": "scheduled__2026-01-01T00:00:00+00:00",
           "AIRFLOW_CTX_TRY_NUMBER": "1"}  # fmt: skip
    first = airflow_run_id(env, "dbx")
    assert first is not None and str(uuid.UUID(first)) == first
    assert airflow_run_id(dict(env), "dbx") == first
    assert airflow_run_id({**env, "AIRFLOW_CTX_TRY_NUMBER": "2"}, "dbx") != first
    assert airflow_run_id(env, "dbx_other_workspace") != first
    assert airflow_run_id({}, "dbx") is None


# -- the vendored schemas --------------------------------------------------------------------------------


def test_the_vendored_ingestion_schemas_are_unmodified_copies() -> None:
    recorded = dict(
        reversed(line.split(maxsplit=1))
        for line in (INGESTION_SCHEMAS / "SHA256SUMS").read_text().splitlines()
    )
    files = sorted(p.relative_to(INGESTION_SCHEMAS).as_posix() for p in INGESTION_SCHEMAS.rglob("*.json"))
    assert sorted(recorded) == files
    for relative in files:
        assert (
            hashlib.sha256(Path(INGESTION_SCHEMAS / relative).read_bytes()).hexdigest() == recorded[relative]
        )
    readme = (INGESTION_SCHEMAS / "README.md").read_text()
    assert "7c1629b925e20928d6e50e7fe829a7e9c20dc918" in readme and "Apache" in readme
