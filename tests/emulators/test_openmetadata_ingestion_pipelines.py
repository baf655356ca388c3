"""The OpenMetadata emulator's ingestion pipelines and run statuses, over HTTP, as a real server answers them.

Bodies come from the documented shapes (``createIngestionPipeline.json``, ``ingestionPipeline.json``'s
``pipelineStatus``, ``status.json``), and the emulator's embedded shapes are checked against those files.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from core.emulators.openmetadata import DEFAULT_JWT, READ_ONLY_JWT, OpenMetadataEmulator
from core.emulators.openmetadata.schemas import (
    AIRFLOW_CONFIG,
    CREATE_INGESTION_PIPELINE,
    INGESTION_PIPELINE_STATUS,
    STEP_SUMMARY,
)
from tests.paths import REPO

SCHEMAS = REPO / "tests" / "data" / "openmetadata-schemas-ingestion"
SERVICE = "dbx_prod"
BASE = "/services/ingestionPipelines"


@pytest.fixture(scope="module")
def server() -> Iterator[OpenMetadataEmulator]:
    with OpenMetadataEmulator(seed=3) as emulator:
        yield emulator


@pytest.fixture
def om(server: OpenMetadataEmulator) -> OpenMetadataEmulator:
    server.reset()
    return server


class Client:
    def __init__(self, emulator: OpenMetadataEmulator, token: str = DEFAULT_JWT) -> None:
        self.base = f"{emulator.url}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=5)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.session.put(self.base + path, json=body, timeout=5)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=5)


@pytest.fixture
def client(om: OpenMetadataEmulator) -> Client:
    return Client(om)


@pytest.fixture
def service_id(client: Client) -> str:
    answer = client.put("/services/pipelineServices", {"name": SERVICE, "serviceType": "DatabricksPipeline"})
    assert answer.status_code == 201
    return str(answer.json()["id"])


def create_body(service_id: str, name: str = "databricks_dag", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "displayName": name,
        "pipelineType": "metadata",
        "service": {"id": service_id, "type": "pipelineService"},
        "sourceConfig": {"config": {"type": "PipelineMetadata", "includeLineage": True}},
        "airflowConfig": {"scheduleInterval": "0 2 * * *", "pipelineTimezone": "UTC", "retries": 1},
        "loggerLevel": "INFO",
    }
    body.update(extra)
    return body


def run_status(run_id: str, state: str, ts: int, **extra: Any) -> dict[str, Any]:
    return {"runId": run_id, "pipelineState": state, "startDate": ts, "timestamp": ts, **extra}


def status_path(fqn: str) -> str:
    return f"{BASE}/{quote(fqn, safe='')}/pipelineStatus"


# -- the embedded shapes are the schemas' ----------------------------------------------------------------


def _properties(relative: str, pointer: tuple[str, ...] = ()) -> set[str]:
    node = json.loads((SCHEMAS / relative).read_text())
    for key in pointer:
        node = node[key]
    return set(node["properties"])


@pytest.mark.parametrize(
    ("spec", "relative", "pointer"),
    [
        (CREATE_INGESTION_PIPELINE, "api/services/ingestionPipelines/createIngestionPipeline.json", ()),
        (AIRFLOW_CONFIG, "entity/services/ingestionPipelines/ingestionPipeline.json", ("definitions", "airflowConfig")),
        (INGESTION_PIPELINE_STATUS, "entity/services/ingestionPipelines/ingestionPipeline.json",
         ("definitions", "pipelineStatus")),
        (STEP_SUMMARY, "entity/services/ingestionPipelines/status.json", ("definitions", "stepSummary")),
    ],
)  # fmt: skip
def test_the_emulator_knows_exactly_the_schemas_keys(
    spec: Any, relative: str, pointer: tuple[str, ...]
) -> None:
    assert set(spec.fields) == _properties(relative, pointer)


# -- the entity ------------------------------------------------------------------------------------------


def test_create_then_update_then_no_change(client: Client, service_id: str, om: OpenMetadataEmulator) -> None:
    created = client.put(BASE, create_body(service_id))
    assert created.status_code == 201
    entity = created.json()
    assert entity["fullyQualifiedName"] == f"{SERVICE}.databricks_dag" and entity["version"] == 0.1
    assert entity["service"]["id"] == service_id and entity["service"]["name"] == SERVICE
    assert entity["deployed"] is False and entity["enabled"] is True and entity["pipelineType"] == "metadata"
    same = client.put(BASE, create_body(service_id))
    assert same.status_code == 200 and same.json()["version"] == 0.1
    changed = client.put(BASE, create_body(service_id, airflowConfig={"scheduleInterval": "0 * * * *"}))
    assert changed.status_code == 200 and changed.json()["version"] == 0.2
    assert list(om.ingestion_pipelines) == [f"{SERVICE}.databricks_dag"]


def test_post_creates_only(client: Client, service_id: str) -> None:
    assert client.post(BASE, create_body(service_id)).status_code == 201
    assert client.post(BASE, create_body(service_id)).status_code == 409


def test_a_dotted_name_is_quoted_in_the_fqn(client: Client, service_id: str) -> None:
    entity = client.put(BASE, create_body(service_id, name="team.dag")).json()
    assert entity["fullyQualifiedName"] == f'{SERVICE}."team.dag"'
    assert client.get(f"{BASE}/name/{quote(entity['fullyQualifiedName'], safe='')}").status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"schedule": "daily"}, 400, 'Unrecognized field "schedule"'),
        ({"pipelineType": "pipelines"}, 400, "PipelineType"),
        ({"airflowConfig": {"cron": "x"}}, 400, 'Unrecognized field "cron"'),
        ({"sourceConfig": None}, 400, "[sourceConfig must not be null]"),
        ({"loggerLevel": "WARNING"}, 400, "LogLevels"),
        ({"name": "a::b"}, 400, "name must match"),
    ],
)
def test_bad_bodies_are_refused_like_jackson_does(
    client: Client, service_id: str, change: dict[str, Any], status: int, says: str
) -> None:
    answer = client.put(BASE, create_body(service_id, **change))
    assert answer.status_code == status and says in answer.json()["message"]


def test_the_service_must_exist(client: Client, service_id: str) -> None:
    missing = str(uuid.uuid4())
    answer = client.put(BASE, create_body(missing))
    assert answer.status_code == 404
    assert answer.json()["message"] == f"pipelineService instance for {missing} not found"


def test_reads_by_name_id_and_listing(client: Client, service_id: str) -> None:
    entity = client.put(BASE, create_body(service_id)).json()
    client.put(BASE, create_body(service_id, name="other", pipelineType="lineage"))
    assert client.get(f"{BASE}/name/{SERVICE}.databricks_dag").json()["id"] == entity["id"]
    assert client.get(f"{BASE}/{entity['id']}").json()["name"] == "databricks_dag"
    assert client.get(f"{BASE}/name/{SERVICE}.nope").status_code == 404
    listed = client.get(BASE, service=SERVICE, pipelineType="metadata").json()
    assert [row["name"] for row in listed["data"]] == ["databricks_dag"]
    assert len(client.get(BASE, service=SERVICE).json()["data"]) == 2
    assert client.get(f"{BASE}/name/{SERVICE}.databricks_dag", fields="tasks").status_code == 400


def test_a_read_only_bot_cannot_create(om: OpenMetadataEmulator, service_id: str) -> None:
    assert Client(om, READ_ONLY_JWT).put(BASE, create_body(service_id)).status_code == 403


# -- the runs --------------------------------------------------------------------------------------------


def test_a_run_is_keyed_by_run_id_and_listed_newest_first(
    client: Client, service_id: str, om: OpenMetadataEmulator
) -> None:
    fqn = client.put(BASE, create_body(service_id)).json()["fullyQualifiedName"]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    answer = client.put(status_path(fqn), run_status(first, "running", 1000))
    assert answer.status_code == 201 and answer.json()["eventType"] == "entityFieldsChanged"
    summary = [{"name": "Sink", "records": 3, "updated_records": 1, "warnings": 0, "errors": 1, "filtered": 0,
                "failures": [{"name": "job-1", "error": "rejected"}]}]  # fmt: skip
    ended = run_status(first, "partialSuccess", 1000, endDate=1500, status=summary)
    assert client.put(status_path(fqn), ended).status_code == 201
    assert client.put(status_path(fqn), run_status(second, "success", 2000, endDate=2100)).status_code == 201
    listed = client.get(status_path(fqn), startTs=0, endTs=10_000).json()
    assert [(row["runId"], row["pipelineState"]) for row in listed["data"]] == [
        (second, "success"),
        (first, "partialSuccess"),
    ]
    assert listed["paging"]["total"] == 2
    assert client.get(status_path(fqn), startTs=1500, endTs=10_000).json()["paging"]["total"] == 1
    assert client.get(f"{status_path(fqn)}/{first}").json() == ended
    assert client.get(f"{status_path(fqn)}/{uuid.uuid4()}").status_code == 204
    assert [state["pipelineState"] for _, state in om.ingestion_status_log] == [
        "running",
        "partialSuccess",
        "success",
    ]
    assert [run["pipelineState"] for run in om.ingestion_runs(fqn)] == ["partialSuccess", "success"]
    entity = client.get(f"{BASE}/name/{fqn}", fields="pipelineStatuses").json()
    assert entity["pipelineStatuses"]["runId"] == second


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"runId": "r", "pipelineState": "succeeded", "timestamp": 1}, 400, "PipelineStatusType"),
        ({"runId": "r", "pipelineState": "success", "timestamp": "1"}, 400, "java.lang.Long"),
        ({"runId": "r", "pipelineState": "success", "timestamp": 1, "state": "x"}, 400, 'Unrecognized field "state"'),
        ({"runId": "r", "timestamp": 1, "status": [{"records": 1}]}, 400, "[pipelineStatus.status[0].name must not be null]"),
        ({"runId": "r", "pipelineState": "running"}, 500, "timestamp"),
    ],
)  # fmt: skip
def test_bad_statuses_are_refused(
    client: Client, service_id: str, body: dict[str, Any], status: int, says: str
) -> None:
    fqn = client.put(BASE, create_body(service_id)).json()["fullyQualifiedName"]
    answer = client.put(status_path(fqn), body)
    assert answer.status_code == status and says in answer.json()["message"]


def test_statuses_need_an_existing_pipeline_and_both_bounds(client: Client, service_id: str) -> None:
    assert client.put(status_path(f"{SERVICE}.nope"), run_status("r", "running", 1)).status_code == 404
    fqn = client.put(BASE, create_body(service_id)).json()["fullyQualifiedName"]
    answer = client.get(status_path(fqn), startTs=0)
    assert answer.status_code == 400 and answer.json()["message"] == "[query param endTs must not be null]"
