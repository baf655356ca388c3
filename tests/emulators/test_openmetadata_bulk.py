"""``PUT /api/v1/pipelines/bulk`` and the cost model of the OpenMetadata emulator.

The expected shapes are OpenMetadata's, not ours: ``BulkOperationResult`` and its ``Response`` rows as
openmetadata-ingestion 2.0.7 generates them from ``type/bulkOperationResult.json`` (both ``extra='forbid'``,
so these are all the keys a server may send), and the row semantics of ``EntityResource.processBulkRequest``
(a failed row carries the request as sent, a passed row its fully qualified name).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from core.emulators.openmetadata import DEFAULT_JWT, READ_ONLY_JWT, OpenMetadataEmulator

#: metadata/generated/schema/type/bulkOperationResult.py (openmetadata-ingestion 2.0.7)
RESULT_KEYS = {
    "dryRun", "status", "abortReason", "numberOfRowsProcessed", "numberOfRowsPassed", "numberOfRowsFailed",
    "successRequest", "failedRequest",
}  # fmt: skip
ROW_KEYS = {"request", "message", "status", "hasSideEffects"}
#: metadata/generated/schema/type/basic.py, class Status
API_STATUSES = {"success", "failure", "aborted", "partialSuccess", "running"}
SERVICE = "dbx"


@pytest.fixture
def om() -> Iterator[OpenMetadataEmulator]:
    with OpenMetadataEmulator() as server:
        put(server, "/services/pipelineServices", {"name": SERVICE, "serviceType": "DatabricksPipeline"})
        yield server


def put(
    server: OpenMetadataEmulator, path: str, body: Any, token: str = DEFAULT_JWT, **params: Any
) -> requests.Response:
    return requests.put(
        f"{server.url}/api/v1{path}",
        json=body,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def pipeline(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "service": SERVICE, "displayName": f"job {name}", "sourceHash": f"h{name}", **extra}


def assert_shape(result: dict[str, Any]) -> None:
    assert set(result) <= RESULT_KEYS
    assert result["status"] in API_STATUSES
    for row in result.get("successRequest", []) + result.get("failedRequest", []):
        assert set(row) <= ROW_KEYS
        assert isinstance(row["status"], int)


def test_all_rows_pass_and_are_stored(om: OpenMetadataEmulator) -> None:
    response = put(om, "/pipelines/bulk", [pipeline("1"), pipeline("2.5")])
    assert response.status_code == 200
    result = response.json()
    assert_shape(result)
    assert result["status"] == "success"
    assert (result["numberOfRowsProcessed"], result["numberOfRowsPassed"], result["numberOfRowsFailed"]) == (
        2,
        2,
        0,
    )
    assert [row["request"] for row in result["successRequest"]] == ["dbx.1", 'dbx."2.5"']
    assert "X-OpenMetadata-Change" not in response.headers  # the answer does not say created or updated
    assert om.pipelines['dbx."2.5"']["displayName"] == "job 2.5"


def test_a_bad_row_costs_only_itself(om: OpenMetadataEmulator) -> None:
    rows = [pipeline("1"), {"service": SERVICE}, pipeline("3", service="missing"), pipeline("4")]
    result = put(om, "/pipelines/bulk", rows).json()
    assert_shape(result)
    assert result["status"] == "partialSuccess"
    assert (result["numberOfRowsPassed"], result["numberOfRowsFailed"]) == (2, 2)
    failed = {str(row["request"].get("name")): row for row in result["failedRequest"]}
    assert failed["None"] == {
        "request": {"service": SERVICE},
        "message": "[name must not be null]",
        "status": 400,
    }
    assert failed["3"]["status"] == 400 and "missing" in failed["3"]["message"]
    assert {"dbx.1", "dbx.4"} <= set(om.pipelines)


def test_an_unknown_key_fails_the_whole_list_like_jackson(om: OpenMetadataEmulator) -> None:
    response = put(om, "/pipelines/bulk", [pipeline("1"), pipeline("2", bogus=1)])
    assert response.status_code == 400
    assert "Unrecognized field" in response.json()["message"]
    assert "dbx.1" not in om.pipelines


def test_every_row_failing_is_a_failure_without_success_rows(om: OpenMetadataEmulator) -> None:
    result = put(om, "/pipelines/bulk", [{"service": SERVICE}]).json()
    assert_shape(result)
    assert result["status"] == "failure" and "successRequest" not in result


def test_async_is_accepted_and_says_nothing_of_the_stored_rows(om: OpenMetadataEmulator) -> None:
    response = put(om, "/pipelines/bulk", [pipeline("1"), {"service": SERVICE}], **{"async": "true"})
    assert response.status_code == 202
    result = response.json()
    assert_shape(result)
    assert result["numberOfRowsPassed"] == 0 and result["numberOfRowsFailed"] == 1


def test_a_rerun_updates_through_bulk(om: OpenMetadataEmulator) -> None:
    put(om, "/pipelines/bulk", [pipeline("1")])
    result = put(om, "/pipelines/bulk", [pipeline("1", description="new")]).json()
    assert result["status"] == "success"
    assert om.pipelines["dbx.1"]["description"] == "new"


def test_read_only_bot_is_refused(om: OpenMetadataEmulator) -> None:
    assert put(om, "/pipelines/bulk", [pipeline("1")], token=READ_ONLY_JWT).status_code == 403


@pytest.mark.parametrize(("version", "expected"), [("1.10.14", 405), ("1.11.0", 200), ("2.0.7", 200)])
def test_bulk_exists_from_1_11(version: str, expected: int) -> None:
    with OpenMetadataEmulator(version=version) as server:
        assert put(server, "/pipelines/bulk", []).status_code == expected


def test_cost_model_charges_per_request_and_per_entity() -> None:
    with OpenMetadataEmulator(cost_ms_per_request=20, cost_ms_per_entity=30) as server:
        put(server, "/services/pipelineServices", {"name": SERVICE, "serviceType": "DatabricksPipeline"})
        assert server._server_cost_s("GET") == pytest.approx(0.02)
        started = time.perf_counter()
        put(server, "/pipelines/bulk", [pipeline(str(i)) for i in range(4)])
        assert time.perf_counter() - started >= 0.02 + 4 * 0.03  # a lower bound only: no timing upper bound


def test_cost_model_is_off_by_default() -> None:
    server = OpenMetadataEmulator()
    assert server._server_cost_s("PUT") == 0.0
