"""The OpenMetadata emulator, driven over real HTTP the way the engine drives a real server.

One emulator serves the module (stopping a server costs ~0.5 s) and is emptied before each test with
``reset()``; the few tests that need other constructor options start their own.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from core.emulators.http import Fault, FaultKind, HttpError, Request
from core.emulators.openmetadata import (
    DEFAULT_JWT,
    EXPIRED_JWT,
    READ_ONLY_JWT,
    OpenMetadataEmulator,
    build_openmetadata_emulator,
    fqn_add,
    split_fqn,
)
from core.emulators.openmetadata.auth import principal_for
from tests.paths import SCHEMA_BASE, schema_root

SCHEMA_DIR = schema_root()
SERVICE = "dbx_prod"


# -- fixtures and helpers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[OpenMetadataEmulator]:
    emulator = build_openmetadata_emulator(seed=7)
    with emulator:
        yield emulator


@pytest.fixture
def om(server: OpenMetadataEmulator) -> OpenMetadataEmulator:
    server.reset()
    return server


class Client:
    """A tiny OM client: a pooled session with the bot token, paths relative to ``/api/v1``."""

    def __init__(self, emulator: OpenMetadataEmulator, token: str | None = DEFAULT_JWT) -> None:
        self.base = f"{emulator.url}/api/v1"
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=5)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.session.put(self.base + path, json=body, timeout=5)

    def delete(self, path: str, **params: Any) -> requests.Response:
        return self.session.delete(self.base + path, params=params, timeout=5)


@pytest.fixture
def client(om: OpenMetadataEmulator) -> Client:
    return Client(om)


def create_service(client: Client, name: str = SERVICE) -> requests.Response:
    body = {
        "name": name,
        "serviceType": "DatabricksPipeline",
        "connection": {"config": {"type": "DatabricksPipeline", "hostPort": "adb-1.azuredatabricks.net:443"}},
    }
    return client.put("/services/pipelineServices", body)


def pipeline_body(name: str = "101", **extra: Any) -> dict[str, Any]:
    """A CreatePipeline request shaped like the engine's: three tasks, ``ingest -> transform -> publish``."""
    body: dict[str, Any] = {
        "name": name,
        "displayName": f"Job {name}",
        "description": "Nightly load",
        "service": SERVICE,
        "scheduleInterval": "0 0 2 * * ?",
        "tasks": [
            {"name": "ingest", "taskType": "notebook_task", "downstreamTasks": ["transform"]},
            {"name": "transform", "taskType": "pipeline_task", "downstreamTasks": ["publish"]},
            {"name": "publish", "taskType": "sql_task"},
        ],
    }
    body.update(extra)
    return body


def status(
    ts: int, result: str = "Successful", tasks: tuple[str, ...] = ("ingest", "publish")
) -> dict[str, Any]:
    return {
        "timestamp": ts,
        "executionStatus": result,
        "taskStatus": [
            {"name": t, "executionStatus": result, "startTime": ts, "endTime": ts + 10} for t in tasks
        ],
    }


def message(response: requests.Response) -> str:
    body = response.json()
    assert body["code"] == response.status_code
    return body["message"]


# -- system, auth -------------------------------------------------------------------------------------


def test_version_needs_no_auth(om: OpenMetadataEmulator) -> None:
    body = Client(om, token=None).get("/system/version").json()
    assert body["version"] == "2.0.7"
    assert int(body["revision"], 16) >= 0
    assert isinstance(body["timestamp"], int)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (None, "Not Authorized! Token not present"),
        (EXPIRED_JWT, "Expired token!"),
        ("a.b.c", "Invalid token"),
    ],
)
def test_bad_tokens_get_401_with_the_servers_message(
    om: OpenMetadataEmulator, token: str | None, expected: str
) -> None:
    response = Client(om, token=token).get("/users/loggedInUser")
    assert response.status_code == 401
    assert message(response) == expected


def test_the_tokens_look_like_bot_jwts() -> None:
    for token, subject in ((DEFAULT_JWT, "ingestion-bot"), (READ_ONLY_JWT, "readonly-bot")):
        header, payload, signature = token.split(".")
        assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "RS256"
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        assert (claims["sub"], claims["iss"], claims["isBot"]) == (subject, "open-metadata.org", True)
        assert signature


def test_read_only_token_reads_but_cannot_write(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    reader = Client(om, token=READ_ONLY_JWT)
    assert reader.get(f"/services/pipelineServices/name/{SERVICE}").status_code == 200
    assert reader.get("/users/loggedInUser").json()["name"] == "readonly-bot"
    response = reader.put("/pipelines", pipeline_body())
    assert response.status_code == 403
    assert (
        message(response)
        == "Principal: CatalogPrincipal{name='readonly-bot'} operations [EditAll] not allowed"
    )
    assert om.pipelines == {}


def test_logged_in_user_is_the_bot(client: Client) -> None:
    user = client.get("/users/loggedInUser").json()
    assert (user["name"], user["isBot"]) == ("ingestion-bot", True)


def test_path_without_api_prefix_is_a_helpful_404(om: OpenMetadataEmulator) -> None:
    response = requests.get(f"{om.url}/v1/system/version", timeout=5)
    assert response.status_code == 404
    assert "hostPort must end with /api" in message(response)


def test_api_prefix_can_be_made_optional() -> None:
    with OpenMetadataEmulator(require_api_prefix=False) as emulator:
        response = requests.get(f"{emulator.url}/v1/system/version", timeout=5)
        assert response.status_code == 200
        assert response.json()["version"] == "2.0.7"


def test_unknown_path_and_wrong_method(client: Client) -> None:
    response = client.get("/dashboards")
    assert (response.status_code, message(response)) == (404, "HTTP 404 Not Found")
    response = client.session.post(client.base + "/lineage", json={}, timeout=5)
    assert response.status_code == 405


def test_injected_429_with_retry_after_reaches_the_client(client: Client, om: OpenMetadataEmulator) -> None:
    om.inject(Fault(kind=FaultKind.STATUS, status=429, retry_after=3, path=r"/pipelineServices", times=1))
    first = create_service(client)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "3"
    assert create_service(client).status_code == 201


# -- users ----------------------------------------------------------------------------------------------


class FakeWorkspace:
    """Stand-in for the Databricks workspace emulator: only the two methods the seeding uses."""

    def table_full_names(self) -> list[str]:
        return ["main.sales.orders", "main.sales.orders_clean"]

    def user_emails(self) -> list[str]:
        return ["alice@example.com", "dave@example.com", "svc-etl@example.com", "bob@example.com"]


def test_seed_from_workspace_leaves_some_creators_unknown(client: Client, om: OpenMetadataEmulator) -> None:
    assert om.seed_from_workspace(FakeWorkspace()) == {"tables": 2, "users": 2}
    alice = client.get("/users/name/alice").json()
    assert alice["email"] == "alice@example.com"
    missing = client.get("/users/name/dave")
    assert (missing.status_code, message(missing)) == (404, "user instance for dave not found")
    assert client.get("/tables/name/unity_catalog.main.sales.orders").status_code == 200
    names = [u["name"] for u in client.get("/users", limit=10, isBot="false").json()["data"]]
    assert names == ["alice", "bob"]


def test_users_are_paged(client: Client, om: OpenMetadataEmulator) -> None:
    for index in range(5):
        om.add_user(f"user{index}", f"user{index}@example.com")
    first = client.get("/users", limit=4).json()
    second = client.get("/users", limit=4, after=first["paging"]["after"]).json()
    names = [u["name"] for u in first["data"] + second["data"]]
    assert names == sorted(om.users)
    assert first["paging"]["total"] == 7
    assert "after" not in second["paging"]


# -- services -------------------------------------------------------------------------------------------


def test_service_created_then_found(client: Client, om: OpenMetadataEmulator) -> None:
    missing = client.get(f"/services/pipelineServices/name/{SERVICE}")
    assert message(missing) == f"pipelineService instance for {SERVICE} not found"
    first = create_service(client)
    again = create_service(client)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["version"] == 0.1
    entity = client.get(f"/services/pipelineServices/name/{SERVICE}").json()
    assert entity["connection"]["config"]["hostPort"] == "adb-1.azuredatabricks.net:443"
    assert (entity["serviceType"], entity["deleted"], entity["fullyQualifiedName"]) == (
        "DatabricksPipeline", False, SERVICE,
    )  # fmt: skip
    assert om.counters["service.created"] == 1 and om.counters["service.unchanged"] == 1


def test_service_validation(client: Client) -> None:
    bad_type = client.put("/services/pipelineServices", {"name": "x", "serviceType": "Jenkins"})
    assert bad_type.status_code == 400 and "Jenkins" in message(bad_type)
    unknown = client.put("/services/pipelineServices", {"name": "x", "serviceType": "Airflow", "token": "t"})
    assert message(unknown).startswith('Unrecognized field "token"')
    missing = client.put("/services/pipelineServices", {"name": "x"})
    assert message(missing) == "[serviceType must not be null]"


# -- pipelines --------------------------------------------------------------------------------------------


def test_pipeline_versioning_create_unchanged_update(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    created = client.put("/pipelines", pipeline_body())
    assert created.status_code == 201
    assert (created.json()["version"], created.json()["fullyQualifiedName"]) == (0.1, f"{SERVICE}.101")
    same = client.put("/pipelines", pipeline_body())
    assert (same.status_code, same.json()["version"]) == (200, 0.1)
    changed = client.put("/pipelines", pipeline_body(scheduleInterval="0 0 3 * * ?"))
    assert (changed.status_code, changed.json()["version"]) == (200, 0.2)
    assert changed.json()["changeDescription"]["fieldsUpdated"] == ["scheduleInterval"]
    counters = om.counters
    assert (counters["pipeline.created"], counters["pipeline.unchanged"], counters["pipeline.updated"]) == (
        1,
        1,
        1,
    )
    tasks = om.pipelines[f"{SERVICE}.101"]["tasks"]
    assert [t["fullyQualifiedName"] for t in tasks] == [
        f"{SERVICE}.101.{n}" for n in ("ingest", "transform", "publish")
    ]


def test_bot_put_keeps_a_non_empty_description_like_a_real_server(client: Client) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body())
    again = client.put("/pipelines", pipeline_body(description="Edited at the source"))
    assert (again.json()["description"], again.json()["version"]) == ("Nightly load", 0.1)


def test_plain_replace_when_bot_rules_are_off() -> None:
    with OpenMetadataEmulator(bot_put_preserves_user_edits=False) as emulator:
        client = Client(emulator)
        create_service(client)
        client.put("/pipelines", pipeline_body())
        again = client.put("/pipelines", pipeline_body(description="Edited at the source"))
        assert (again.json()["description"], again.json()["version"]) == ("Edited at the source", 0.2)


def test_source_hash_alone_does_not_bump_the_version(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body(sourceHash="aaaa"))
    again = client.put("/pipelines", pipeline_body(sourceHash="bbbb"))
    assert (again.json()["version"], again.json()["sourceHash"]) == (0.1, "bbbb")
    assert om.counters["pipeline.unchanged"] == 1


def test_a_json_patch_sets_the_source_hash_without_a_new_version(client: Client) -> None:
    """``PATCH /v1/pipelines/{id}`` takes application/json-patch+json only (415 otherwise), as JAX-RS does."""
    create_service(client)
    pipeline = client.put("/pipelines", pipeline_body(sourceHash="aaaa")).json()
    url = f"{client.base}/pipelines/{pipeline['id']}"
    patch = [{"op": "replace", "path": "/sourceHash", "value": "bbbb"}]
    assert client.session.patch(url, json=patch, timeout=5).status_code == 415
    headers = {"Content-Type": "application/json-patch+json"}
    answer = client.session.patch(url, data=json.dumps(patch), headers=headers, timeout=5)
    assert answer.status_code == 200
    stored = client.get(f"/pipelines/{pipeline['id']}", fields="sourceHash").json()
    assert (stored["sourceHash"], stored["version"]) == ("bbbb", 0.1)
    other = [{"op": "replace", "path": "/description", "value": "x"}]
    refused = client.session.patch(url, data=json.dumps(other), headers=headers, timeout=5)
    assert refused.status_code == 400 and "/sourceHash" in refused.json()["message"]


def test_dotted_names_are_quoted_in_the_fqn(client: Client) -> None:
    create_service(client)
    created = client.put("/pipelines", pipeline_body(name="etl.v2"))
    fqn = created.json()["fullyQualifiedName"]
    assert fqn == f'{SERVICE}."etl.v2"' == fqn_add(SERVICE, "etl.v2")
    assert split_fqn(fqn) == [SERVICE, "etl.v2"]
    assert client.get(f"/pipelines/name/{quote(fqn, safe='')}").json()["name"] == "etl.v2"
    bulk = client.put(f"/pipelines/{quote(fqn, safe='')}/status/bulk", [status(1_700_000_000_000)])
    assert bulk.status_code == 200


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda b: b.update(owner={"id": "x"}),
            'Unrecognized field "owner" (class org.openmetadata.schema.api.data',
        ),
        (
            lambda b: b["tasks"][0].update(dependsOn=[]),
            'Unrecognized field "dependsOn" (class org.openmetadata.schema',
        ),
        (lambda b: b.pop("service"), "[service must not be null]"),
        (lambda b: b["tasks"][1].pop("name"), "[tasks[1].name must not be null]"),
        (lambda b: b.update(name="a::b"), "[name must match"),
        (
            lambda b: b.update(concurrency="4"),
            "Cannot deserialize value of type `java.lang.Long` from String",
        ),
        (lambda b: b.update(sourceHash="x" * 33), "[sourceHash size must be between 1 and 32]"),
    ],
)
def test_pipeline_contract_violations_are_400(client: Client, mutate: Any, expected: str) -> None:
    create_service(client)
    body = pipeline_body()
    mutate(body)
    response = client.put("/pipelines", body)
    assert response.status_code == 400
    assert message(response).startswith(expected)


def test_downstream_task_must_belong_to_the_pipeline(client: Client) -> None:
    create_service(client)
    body = pipeline_body()
    body["tasks"][2]["downstreamTasks"] = ["archive"]
    response = client.put("/pipelines", body)
    assert response.status_code == 400
    assert "archive" in message(response)


def test_pipeline_of_a_missing_service_is_404(client: Client) -> None:
    response = client.put("/pipelines", pipeline_body())
    assert (response.status_code, message(response)) == (
        404,
        f"pipelineService instance for {SERVICE} not found",
    )


def test_get_returns_gated_fields_only_when_asked(client: Client) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body())
    plain = client.get(f"/pipelines/name/{SERVICE}.101").json()
    assert "tasks" not in plain and plain["scheduleInterval"] == "0 0 2 * * ?"
    full = client.get(f"/pipelines/name/{SERVICE}.101", fields="tasks,owners").json()
    assert len(full["tasks"]) == 3 and full["owners"] == []
    by_id = client.get(f"/pipelines/{plain['id']}", fields="tasks").json()
    assert by_id["tasks"] == full["tasks"]
    bad = client.get(f"/pipelines/name/{SERVICE}.101", fields="colour")
    assert (bad.status_code, message(bad)) == (400, "Invalid field name colour")
    missing = client.get(f"/pipelines/name/{SERVICE}.999")
    assert message(missing) == f"pipeline instance for {SERVICE}.999 not found"


def test_paging_pipelines_of_a_service(client: Client) -> None:
    create_service(client)
    create_service(client, "other")
    for index in range(25):
        assert client.put("/pipelines", pipeline_body(name=f"job{index:02d}")).status_code == 201
    client.put("/pipelines", pipeline_body(name="elsewhere", service="other"))
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        params: dict[str, Any] = {"service": SERVICE, "limit": 10}
        if after:
            params["after"] = after
        page = client.get("/pipelines", **params).json()
        pages += 1
        assert page["paging"]["total"] == 25
        seen += [p["fullyQualifiedName"] for p in page["data"]]
        after = page["paging"].get("after")
        if not after:
            break
    assert pages == 3
    assert seen == [f"{SERVICE}.job{i:02d}" for i in range(25)]
    default = client.get("/pipelines", service=SERVICE).json()
    assert len(default["data"]) == 10
    back = client.get("/pipelines", service=SERVICE, limit=10, before=default["paging"]["after"]).json()
    assert back["data"] == default["data"][:9]
    assert "before" not in back["paging"] and back["paging"]["after"]
    too_big = client.get("/pipelines", limit=1_000_001)
    assert too_big.status_code == 400


def test_soft_delete_hides_then_put_restores(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    pipeline_id = client.put("/pipelines", pipeline_body()).json()["id"]
    deleted = client.delete(f"/pipelines/{pipeline_id}", hardDelete="false", recursive="true")
    assert (deleted.status_code, deleted.json()["deleted"], deleted.json()["version"]) == (200, True, 0.2)
    assert client.get(f"/pipelines/name/{SERVICE}.101").status_code == 404
    assert client.get(f"/pipelines/name/{SERVICE}.101", include="deleted").json()["deleted"] is True
    assert client.get("/pipelines", service=SERVICE).json()["paging"]["total"] == 0
    assert client.get("/pipelines", service=SERVICE, include="all").json()["paging"]["total"] == 1
    assert om.pipelines[f"{SERVICE}.101"]["deleted"] is True
    restored = client.put("/pipelines", pipeline_body())
    assert (restored.status_code, restored.json()["deleted"], restored.json()["version"]) == (200, False, 0.3)
    assert (om.counters["pipeline.soft_deleted"], om.counters["pipeline.restored"]) == (1, 1)


def test_post_is_create_only_and_delete_stale_is_absent(client: Client) -> None:
    create_service(client)
    post = client.session.post(client.base + "/pipelines", json=pipeline_body(), timeout=5)
    again = client.session.post(client.base + "/pipelines", json=pipeline_body(), timeout=5)
    assert (post.status_code, again.status_code, message(again)) == (201, 409, "Entity already exists")
    # Newer clients try /deleteStale first and fall back to list + DELETE on a 404.
    stale = {"scopeFqn": SERVICE, "scopeEntityType": "service", "recursive": True, "seenFqns": []}
    assert client.put("/pipelines/deleteStale", stale).status_code == 404


def test_hard_delete_removes_the_pipeline_and_its_statuses(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    pipeline_id = client.put("/pipelines", pipeline_body()).json()["id"]
    client.put(f"/pipelines/{SERVICE}.101/status", status(1_700_000_000_000))
    assert client.delete(f"/pipelines/{pipeline_id}", hardDelete="true").status_code == 200
    assert om.pipelines == {} and om.statuses == {}
    assert client.delete(f"/pipelines/{pipeline_id}").status_code == 404


def test_owners_must_exist(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    alice = om.add_user("alice", "alice@example.com")
    ghost = "8f5d8c61-2f1c-4d3c-9a55-9b7f6f3e2d10"
    missing = client.put("/pipelines", pipeline_body(owners=[{"id": ghost, "type": "user"}]))
    assert (missing.status_code, message(missing)) == (404, f"user instance for {ghost} not found")
    owned = client.put("/pipelines", pipeline_body(owners=[{"id": alice["id"], "type": "user"}]))
    assert owned.json()["owners"][0]["name"] == "alice"
    # A bot PUT cannot remove owners on a real server.
    again = client.put("/pipelines", pipeline_body())
    assert again.json()["owners"][0]["name"] == "alice" and again.json()["version"] == 0.1


# -- statuses -------------------------------------------------------------------------------------------


def test_status_bulk_upserts_by_timestamp(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body())
    batch = [status(1_700_000_000_000 + i * 60_000, "Failed" if i == 2 else "Successful") for i in range(5)]
    for _ in range(2):
        response = client.put(f"/pipelines/{SERVICE}.101/status/bulk", batch)
        assert response.status_code == 200
        assert response.json()["pipelineStatus"]["timestamp"] == batch[-1]["timestamp"]
    assert len(om.statuses[f"{SERVICE}.101"]) == 5
    assert (om.counters["status.upserted"], om.counters["status.new"]) == (10, 5)
    listed = client.get(f"/pipelines/{SERVICE}.101/status", startTs=0, endTs=2_000_000_000_000).json()
    assert [s["timestamp"] for s in listed["data"]] == sorted((s["timestamp"] for s in batch), reverse=True)
    assert listed["paging"]["total"] == 5
    latest = client.get(f"/pipelines/name/{SERVICE}.101", fields="pipelineStatus").json()
    assert latest["pipelineStatus"]["timestamp"] == batch[-1]["timestamp"]


def test_the_listing_serves_each_latest_status_with_tasks_by_start_time(client: Client) -> None:
    """``GET /pipelines?fields=pipelineStatus``: PipelineRepository.fetchAndSetPipelineStatuses."""
    create_service(client)
    client.put("/pipelines", pipeline_body())
    client.put("/pipelines", pipeline_body("102"))
    late_first = status(1_700_000_060_000, tasks=("ingest", "transform", "publish"))
    late_first["taskStatus"][0]["startTime"] += 5  # ingest started after publish
    del late_first["taskStatus"][1]["startTime"]  # transform has no start: last
    client.put(f"/pipelines/{SERVICE}.101/status/bulk", [status(1_700_000_000_000), late_first])
    listed = client.get("/pipelines", service=SERVICE, fields="pipelineStatus", limit=10).json()["data"]
    by_name = {entity["name"]: entity for entity in listed}
    latest = by_name["101"]["pipelineStatus"]
    assert latest["timestamp"] == 1_700_000_060_000
    assert [task["name"] for task in latest["taskStatus"]] == ["publish", "ingest", "transform"]
    assert "pipelineStatus" not in by_name["102"]  # none stored
    plain = client.get("/pipelines", service=SERVICE, limit=10).json()["data"]
    assert all("pipelineStatus" not in entity for entity in plain)


def test_status_replaces_at_the_same_timestamp(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body())
    client.put(f"/pipelines/{SERVICE}.101/status", status(1_700_000_000_000, "Pending"))
    client.put(f"/pipelines/{SERVICE}.101/status", status(1_700_000_000_000, "Successful"))
    stored = om.statuses[f"{SERVICE}.101"]
    assert list(stored) == [1_700_000_000_000]
    assert stored[1_700_000_000_000]["executionStatus"] == "Successful"


def test_status_limits_and_validation(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    client.put("/pipelines", pipeline_body())
    path = f"/pipelines/{SERVICE}.101/status/bulk"
    too_many = client.put(path, [status(1_700_000_000_000 + i) for i in range(1001)])
    assert (too_many.status_code, message(too_many)) == (400, "Bulk size exceeds 1000")
    ghost_task = client.put(path, [status(1_700_000_000_000, tasks=("ingest", "old_task"))])
    assert (ghost_task.status_code, message(ghost_task)) == (400, "Invalid task name old_task")
    bad_enum = client.put(path, [status(1_700_000_000_000, "Running")])
    assert bad_enum.status_code == 400 and "Running" in message(bad_enum)
    extra_key = status(1_700_000_000_000)
    extra_key["taskStatus"][0]["state"] = "x"
    assert message(client.put(path, [extra_key])).startswith('Unrecognized field "state"')
    no_ts = client.put(path, [{"executionStatus": "Successful"}])
    assert message(no_ts) == "[pipelineStatuses[0].timestamp must not be null]"
    twice = client.put(path, [status(1_700_000_000_000), status(1_700_000_000_000)])
    assert twice.status_code == 500  # Postgres' ON CONFLICT on one row twice (OpenMetadata #30459)
    assert client.put(f"/pipelines/{SERVICE}.nope/status/bulk", []).status_code == 404
    assert om.statuses.get(f"{SERVICE}.101", {}) == {}


# -- tables and lineage ---------------------------------------------------------------------------------


def test_missing_table_is_404(client: Client) -> None:
    response = client.get("/tables/name/unity_catalog.main.sales.nope")
    assert (response.status_code, message(response)) == (
        404,
        "table instance for unity_catalog.main.sales.nope not found",
    )


def lineage_request(
    source: dict[str, Any], target: dict[str, Any], pipeline: dict[str, Any]
) -> dict[str, Any]:
    return {
        "edge": {
            "fromEntity": {"id": source["id"], "type": "table"},
            "toEntity": {"id": target["id"], "type": "table"},
            "lineageDetails": {
                "pipeline": {"id": pipeline["id"], "type": "pipeline"},
                "source": "PipelineLineage",
                "columnsLineage": [
                    {
                        "fromColumns": [f"{source['fullyQualifiedName']}.id"],
                        "toColumn": f"{target['fullyQualifiedName']}.id",
                    }
                ],
            },
        }
    }


def test_lineage_edge_upsert_and_get(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    pipeline = client.put("/pipelines", pipeline_body()).json()
    source = om.add_table("unity_catalog.main.sales.orders", columns=["id", "amount"])
    target = om.add_table("unity_catalog.main.sales.orders_clean", columns=["id"])
    body = lineage_request(source, target, pipeline)
    assert client.put("/lineage", body).status_code == 200
    assert client.put("/lineage", body).status_code == 200
    assert (om.counters["lineage.created"], om.counters["lineage.unchanged"]) == (1, 1)
    assert list(om.lineage_edges) == [(source["id"], target["id"])]
    graph = client.get(
        "/lineage/table/name/unity_catalog.main.sales.orders_clean", upstreamDepth=1, downstreamDepth=1
    ).json()
    assert graph["entity"]["id"] == target["id"]
    assert [n["fullyQualifiedName"] for n in graph["nodes"]] == ["unity_catalog.main.sales.orders"]
    edge = graph["upstreamEdges"][0]
    assert (edge["fromEntity"], edge["toEntity"]) == (source["id"], target["id"])
    assert edge["lineageDetails"]["pipeline"]["fullyQualifiedName"] == f"{SERVICE}.101"
    assert graph["downstreamEdges"] == []
    carried = client.get(f"/lineage/pipeline/name/{SERVICE}.101").json()
    assert len(carried["upstreamEdges"]) == 1 and len(carried["nodes"]) == 2


def test_lineage_rejects_missing_entities_and_columns(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    pipeline = client.put("/pipelines", pipeline_body()).json()
    source = om.add_table("unity_catalog.main.sales.orders", columns=["amount"])
    ghost = {
        "id": "0b0e4b1e-7c43-4c38-9b1d-3d0f0f7b2a11",
        "fullyQualifiedName": "unity_catalog.main.sales.ghost",
    }
    missing = client.put("/lineage", lineage_request(source, ghost, pipeline))
    assert (missing.status_code, message(missing)) == (404, f"table instance for {ghost['id']} not found")
    target = om.add_table("unity_catalog.main.sales.clean", columns=["id"])
    bad_column = client.put("/lineage", lineage_request(source, target, pipeline))
    assert bad_column.status_code == 400
    assert message(bad_column) == "Invalid fully qualified column name unity_catalog.main.sales.orders.id"
    bad_source = lineage_request(source, target, pipeline)
    bad_source["edge"]["lineageDetails"].update(source="Guess", columnsLineage=[])
    assert client.put("/lineage", bad_source).status_code == 400
    assert om.lineage_edges == {}


# -- classifications and tags ---------------------------------------------------------------------------


def test_classifications_tags_and_tag_labels(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)
    label = {
        "tagFQN": "Databricks.nightly",
        "source": "Classification",
        "labelType": "Automated",
        "state": "Confirmed",
    }
    missing = client.put("/pipelines", pipeline_body(tags=[label]))
    assert (missing.status_code, message(missing)) == (404, "tag instance for Databricks.nightly not found")
    first = client.put("/classifications", {"name": "Databricks", "description": "Databricks job tags"})
    again = client.put("/classifications", {"name": "Databricks", "description": "Databricks job tags"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert (
        client.put(
            "/tags", {"name": "nightly", "description": "", "classification": "Databricks"}
        ).status_code
        == 201
    )
    orphan = client.put("/tags", {"name": "x", "description": "", "classification": "Nope"})
    assert (orphan.status_code, message(orphan)) == (404, "classification instance for Nope not found")
    assert client.get("/tags/name/Databricks.nightly").json()["classification"]["name"] == "Databricks"
    assert client.get("/classifications/name/Databricks").json()["version"] == 0.1
    tagged = client.put("/pipelines", pipeline_body(tags=[label]))
    assert tagged.status_code == 201
    assert tagged.json()["tags"][0]["tagFQN"] == "Databricks.nightly"
    incomplete = {k: v for k, v in label.items() if k != "labelType"}
    assert (
        message(client.put("/pipelines", pipeline_body(tags=[incomplete])))
        == "[tags[0].labelType must not be null]"
    )
    assert message(client.put("/classifications", {"name": "X"})) == "[description must not be null]"
    assert set(om.tags) == {"Databricks.nightly"} and set(om.classifications) == {"Databricks"}


# -- whole-run properties -------------------------------------------------------------------------------


def run_like_the_engine(client: Client, om: OpenMetadataEmulator) -> None:
    """Service, three pipelines, statuses and one lineage edge: the writes of one ingestion run."""
    create_service(client)
    for name in ("101", "102", "103"):
        client.put("/pipelines", pipeline_body(name=name))
        client.put(
            f"/pipelines/{SERVICE}.{name}/status/bulk", [status(1_700_000_000_000), status(1_700_000_060_000)]
        )
    pipeline = client.get(f"/pipelines/name/{SERVICE}.101").json()
    source = client.get("/tables/name/unity_catalog.main.sales.orders").json()
    target = client.get("/tables/name/unity_catalog.main.sales.orders_clean").json()
    body = lineage_request(source, target, pipeline)
    body["edge"]["lineageDetails"]["columnsLineage"] = []
    assert client.put("/lineage", body).status_code == 200


def test_rerun_changes_nothing(client: Client, om: OpenMetadataEmulator) -> None:
    om.seed_from_workspace(FakeWorkspace())
    run_like_the_engine(client, om)
    before = om.snapshot()
    json.dumps(before)  # JSON-able
    run_like_the_engine(client, om)
    assert om.snapshot() == before
    counters = om.counters
    assert (counters["pipeline.created"], counters["pipeline.unchanged"], counters["pipeline.updated"]) == (
        3,
        3,
        0,
    )
    assert counters["lineage.unchanged"] == 1
    assert ("PUT", "/api/v1/lineage", 200) in om.received


def test_concurrent_writers_are_consistent(client: Client, om: OpenMetadataEmulator) -> None:
    create_service(client)

    def write(worker: int) -> None:
        session = Client(om)
        for index in range(10):
            assert session.put("/pipelines", pipeline_body(name=f"w{worker}-{index}")).status_code == 201

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(om.pipelines) == 40 and om.counters["pipeline.created"] == 40


# -- the contract -----------------------------------------------------------------------------------------


def contract_validator() -> Any:
    """A Draft-7 validator of createPipeline.json whose $refs resolve inside the reference schema tree."""
    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT7

    def retrieve(uri: str) -> Any:
        path = SCHEMA_DIR / uri.removeprefix(SCHEMA_BASE)
        contents = json.loads(path.read_text())
        contents.pop("$id", None)  # a few upstream $ids disagree with their paths; the path is the truth
        return referencing.Resource.from_contents(contents, default_specification=DRAFT7)

    registry = referencing.Registry(retrieve=retrieve)
    return jsonschema.Draft7Validator(
        {"$ref": SCHEMA_BASE + "api/data/createPipeline.json"}, registry=registry
    )


def test_validation_agrees_with_the_createpipeline_schema(client: Client, om: OpenMetadataEmulator) -> None:
    validator = contract_validator()
    create_service(client)
    alice = om.add_user("alice", "alice@example.com")
    om.add_tag("Databricks.nightly")
    label = {
        "tagFQN": "Databricks.nightly",
        "source": "Classification",
        "labelType": "Manual",
        "state": "Confirmed",
    }
    good = [
        pipeline_body(),
        pipeline_body(name="p2", tasks=[{"name": "only", "tags": [label]}], tags=[label], concurrency=2),
        pipeline_body(
            name="p3", owners=[{"id": alice["id"], "type": "user"}], sourceHash="abc", state="Active"
        ),
        {"name": "p4", "service": SERVICE},
    ]
    for body in good:
        assert not list(validator.iter_errors(body)), body
        assert client.put("/pipelines", body).status_code == 201, body
    # Every stored pipeline maps back to a request the contract accepts.
    for fqn in om.pipelines:
        errors = [e.message for e in validator.iter_errors(om.create_request_for(fqn))]
        assert errors == [], (fqn, errors)
    bad_mutations = [
        lambda b: b.update(extra=1),
        lambda b: b.pop("name"),
        lambda b: b.update(name=""),
        lambda b: b.update(tasks=[{"description": "no name"}]),
        lambda b: b.update(tasks=[{"name": "t", "kind": "x"}]),
        lambda b: b.update(tags=[{"tagFQN": "Databricks.nightly"}]),
        lambda b: b.update(owners=[{"id": alice["id"]}]),
        lambda b: b.update(state="Paused"),
        lambda b: b.update(sourceHash=""),
        lambda b: b.update(concurrency=1.5),
    ]
    for mutate in bad_mutations:
        body = copy.deepcopy(pipeline_body(name="bad"))
        mutate(body)
        assert list(validator.iter_errors(body)), body
        assert client.put("/pipelines", body).status_code == 400, body


# -- authentication, without HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "header", "status", "message"),
    [
        ("GET", None, 401, "Not Authorized! Token not present"),
        ("GET", "Basic dXNlcjpwYXNz", 401, "Not Authorized! Token not present"),
        ("GET", f"Bearer {EXPIRED_JWT}", 401, "Expired token!"),
        ("GET", f"Bearer {DEFAULT_JWT[:-4]}AAAA", 401, "Invalid token"),
        ("PUT", f"Bearer {READ_ONLY_JWT}", 403, "operations [EditAll] not allowed"),
    ],
    ids=["missing", "not-bearer", "expired", "unknown", "read-only-write"],
)
def test_principal_for_refuses_without_echoing_the_token(
    method: str, header: str | None, status: int, message: str
) -> None:
    request = Request(method, "/api/v1/pipelines", {}, {"authorization": header} if header else {}, b"")
    with pytest.raises(HttpError) as caught:
        principal_for(request, jwt=DEFAULT_JWT, read_only_jwt=READ_ONLY_JWT, expired_jwt=EXPIRED_JWT)
    assert caught.value.status == status
    assert message in caught.value.body["message"]
    if header is not None:
        assert header.split()[-1] not in json.dumps(caught.value.body)


def test_principal_for_names_the_bot_a_token_belongs_to() -> None:
    def principal(method: str, token: str) -> str:
        request = Request(method, "/api/v1/pipelines", {}, {"authorization": f"Bearer {token}"}, b"")
        return principal_for(request, jwt=DEFAULT_JWT, read_only_jwt=READ_ONLY_JWT, expired_jwt=None)

    assert principal("PUT", DEFAULT_JWT) == "ingestion-bot"
    assert principal("GET", READ_ONLY_JWT) == "readonly-bot"
    with pytest.raises(HttpError, match="HTTP 401"):  # with no expired token configured it is just unknown
        principal("GET", EXPIRED_JWT)
