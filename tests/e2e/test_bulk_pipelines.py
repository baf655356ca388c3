"""Pipelines written in bulk (``PUT /v1/pipelines/bulk``), and the fallback to single PUTs.

Over the OpenMetadata emulator, whose bulk endpoint answers in the shape of OpenMetadata's
``EntityResource.processBulkRequest`` (tests/emulators/test_openmetadata_bulk.py checks that shape).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from core.config.models import OpenMetadataServerConfig
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace
from core.errors import SinkAuthError, SinkRejectedError
from core.openmetadata.payloads import CreatePipelineRequest
from core.sinks import DryRunSink, EntityRef
from core.sinks.batching import GroupCommit
from core.sinks.openmetadata import OpenMetadataSink
from core.workflow import Workflow
from tests.conftest import make_config

SERVICE = "dbx"


def server_config(om: OpenMetadataEmulator) -> OpenMetadataServerConfig:
    return OpenMetadataServerConfig.model_validate(
        {
            "hostPort": f"{om.url}/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": DEFAULT_JWT},
        }
    )


@pytest.fixture
def om() -> Iterator[OpenMetadataEmulator]:
    with OpenMetadataEmulator() as server:
        yield server


@pytest.fixture
def sink(om: OpenMetadataEmulator) -> Iterator[OpenMetadataSink]:
    sink = OpenMetadataSink(server_config(om), batch_size=50)
    sink.ensure_service({"name": SERVICE, "serviceType": "DatabricksPipeline"})
    yield sink
    sink.close()


def request(name: str, **extra: Any) -> CreatePipelineRequest:
    body: dict[str, Any] = {
        "name": name, "displayName": f"job {name}", "service": SERVICE, "sourceUrl": f"https://x/{name}",
        "tasks": [], "sourceHash": f"h{name}", **extra,
    }  # fmt: skip
    return body  # type: ignore[return-value]


def bulk_calls(om: OpenMetadataEmulator) -> list[int]:
    return [
        status for method, path, status in om.received if method == "PUT" and path.endswith("/pipelines/bulk")
    ]


def single_calls(om: OpenMetadataEmulator) -> int:
    return sum(1 for method, path, _ in om.received if method == "PUT" and path.endswith("/pipelines"))


def put_concurrently(sink: OpenMetadataSink, requests: list[CreatePipelineRequest]) -> dict[str, Any]:
    """``put_pipeline`` from one thread per request, all started together, as the engine's workers do."""
    results: dict[str, Any] = {}
    start = threading.Barrier(len(requests))

    def one(req: CreatePipelineRequest) -> None:
        start.wait()
        try:
            results[req["name"]] = sink.put_pipeline(req)
        except Exception as err:  # noqa: BLE001 -- the test inspects it
            results[req["name"]] = err

    threads = [threading.Thread(target=one, args=(req,)) for req in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


# -- the group commit ---------------------------------------------------------------------------------


def test_group_commit_sends_a_lone_call_alone_and_batches_the_ones_that_wait() -> None:
    release = threading.Event()
    sent: list[list[int]] = []

    def send(items: list[int]) -> list[int | BaseException]:
        sent.append(items)
        if len(sent) == 1:
            release.wait(10)  # the first batch is in flight while the others arrive
        return [ValueError(f"bad {i}") if i == 3 else i * 10 for i in items]

    commit: GroupCommit[int, int] = GroupCommit(send, max_batch=3)
    results: dict[int, Any] = {}

    def call(i: int) -> None:
        try:
            results[i] = commit.submit(i)
        except ValueError as err:
            results[i] = str(err)

    first = threading.Thread(target=call, args=(0,))
    first.start()
    while not sent:
        threading.Event().wait(0.01)
    others = [threading.Thread(target=call, args=(i,)) for i in range(1, 6)]
    for thread in others:
        thread.start()
    while len(commit._queue) < 5:
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert sent[0] == [0]
    assert sorted(len(batch) for batch in sent[1:]) == [2, 3]  # 5 waiting, at most 3 a batch
    assert results == {0: 0, 1: 10, 2: 20, 3: "bad 3", 4: 40, 5: 50}  # each caller gets its own row


def test_group_commit_hands_a_batch_error_to_every_caller() -> None:
    def send(items: list[int]) -> list[int | BaseException]:
        raise SinkAuthError("refused")

    commit: GroupCommit[int, int] = GroupCommit(send, max_batch=4)
    with pytest.raises(SinkAuthError):
        commit.submit(1)


# -- the sink over the emulator -------------------------------------------------------------------------


def test_concurrent_writes_go_in_bulk_and_count_created_then_updated(
    om: OpenMetadataEmulator, sink: OpenMetadataSink
) -> None:
    requests = [request(str(i)) for i in range(12)]
    first = put_concurrently(sink, requests)
    assert all(isinstance(result, tuple) for result in first.values()), first
    assert Counter(change for _, change in first.values()) == Counter({"created": 12})
    assert bulk_calls(om) and set(bulk_calls(om)) == {200}
    assert sum(sink.batch_sizes) == 12 and max(sink.batch_sizes) > 1
    assert set(om.pipelines) == {f"{SERVICE}.{i}" for i in range(12)}

    list(sink.iter_service_pipelines(SERVICE))  # what the engine does first on the next run
    second = put_concurrently(sink, [request(str(i), description="changed") for i in range(12)])
    assert Counter(change for _, change in second.values()) == Counter({"updated": 12})
    assert all(p["description"] == "changed" for p in om.pipelines.values())


def test_a_rejected_row_costs_only_its_pipeline_with_the_single_put_message(
    om: OpenMetadataEmulator, sink: OpenMetadataSink
) -> None:
    bad = request("bad", owners=[{"id": "00000000-0000-0000-0000-000000000001", "type": "user"}])
    outcomes = sink._put_batch([request("1"), bad, request("3")])
    assert [type(outcome).__name__ for outcome in outcomes] == ["tuple", "SinkRejectedError", "tuple"]
    message = str(outcomes[1])
    assert message.startswith("OpenMetadata rejected pipeline bad (job bad) (400 ")
    assert "user instance for 00000000-0000-0000-0000-000000000001 not found" in message
    assert bulk_calls(om) == [200] and single_calls(om) == 0
    assert set(om.pipelines) == {f"{SERVICE}.1", f"{SERVICE}.3"}


def test_a_list_refused_whole_is_sent_again_row_by_row(
    om: OpenMetadataEmulator, sink: OpenMetadataSink
) -> None:
    om.inject(kind=FaultKind.STATUS, status=400, method="PUT", path=r"/pipelines/bulk$", times=1)
    outcomes = sink._put_batch([request("1"), request("2")])
    assert all(isinstance(outcome, tuple) for outcome in outcomes)
    assert single_calls(om) == 2 and sink.bulk is None  # the endpoint exists: bulk stays on


def test_rows_the_server_failed_or_left_out_are_sent_again_alone(
    sink: OpenMetadataSink, om: OpenMetadataEmulator
) -> None:
    answer = {
        "status": "partialSuccess",
        "successRequest": [{"request": f"{SERVICE}.1", "status": 200}],
        "failedRequest": [{"request": f"{SERVICE}.2", "status": 500, "message": "Database error: deadlock"}],
    }  # row 3 is not mentioned at all
    outcomes = sink._bulk_outcomes([request("1"), request("2"), request("3")], answer)
    assert [outcome[1] for outcome in outcomes] == ["created", "created", "created"]  # type: ignore[index]
    assert single_calls(om) == 2


def test_a_forbidden_row_aborts_like_a_forbidden_put(sink: OpenMetadataSink) -> None:
    answer = {"failedRequest": [{"request": f"{SERVICE}.1", "status": 403, "message": "Permission denied"}]}
    [outcome] = sink._bulk_outcomes([request("1")], answer)
    assert isinstance(outcome, SinkAuthError)


def test_a_server_without_bulk_answers_405_once_then_gets_single_puts() -> None:
    with OpenMetadataEmulator(version="1.10.4") as om:
        sink = OpenMetadataSink(server_config(om), batch_size=50)
        sink.ensure_service({"name": SERVICE, "serviceType": "DatabricksPipeline"})
        outcomes = sink._put_batch([request("1"), request("2")])  # version not read: the answer tells
        assert all(isinstance(outcome, tuple) for outcome in outcomes)
        assert sink.bulk is False and bulk_calls(om) == [405]
        put_concurrently(sink, [request(str(i)) for i in range(3, 9)])
        assert bulk_calls(om) == [405] and single_calls(om) == 8
        sink.close()


def test_the_version_turns_bulk_off_without_a_probe() -> None:
    with OpenMetadataEmulator(version="1.9.2") as om:
        sink = OpenMetadataSink(server_config(om), batch_size=50)
        assert sink.server_version() == "1.9.2" and sink.bulk is False
        sink.close()


def test_lineage_finds_the_ids_of_pipelines_written_in_bulk_with_one_listing(
    om: OpenMetadataEmulator, sink: OpenMetadataSink
) -> None:
    om.add_table("unity_catalog.main.raw.a")
    om.add_table("unity_catalog.main.raw.b")
    outcomes = sink._put_batch([request("1"), request("2")])
    refs = [outcome[0] for outcome in outcomes]  # type: ignore[index]
    assert [ref.id for ref in refs] == ["", ""]  # a bulk answer carries no ids
    source = sink.find_table("unity_catalog.main.raw.a")
    target = sink.find_table("unity_catalog.main.raw.b")
    assert source and target
    om.reset_counters()
    sink.put_lineage(source, target, refs[0])
    sink.put_lineage(target, source, refs[1])  # another edge (edges are keyed by their two ends)
    listings = [path for method, path, _ in om.received if method == "GET" and path.endswith("/pipelines")]
    assert len(listings) == 1
    assert {edge["lineageDetails"]["pipeline"]["id"] for edge in om.lineage_edges.values()} == {
        om.pipelines[f"{SERVICE}.1"]["id"],
        om.pipelines[f"{SERVICE}.2"]["id"],
    }


def test_a_dry_run_sends_nothing(om: OpenMetadataEmulator, sink: OpenMetadataSink) -> None:
    dry = DryRunSink(sink)
    om.reset_counters()
    put_concurrently(dry, [request(str(i)) for i in range(6)])  # type: ignore[arg-type]
    assert [entry for entry in om.received if entry[0] != "GET"] == []


def test_a_missing_pipeline_fails_its_lineage(sink: OpenMetadataSink) -> None:
    ref = EntityRef(id="", fqn=f"{SERVICE}.nowhere", type="pipeline")
    with pytest.raises(SinkRejectedError, match="not in OpenMetadata"):
        sink._pipeline_id(ref)


# -- a whole run over both emulators --------------------------------------------------------------------


def run(config: dict[str, Any], workers: int = 8) -> Workflow:
    workflow = Workflow.create(config, workers=workers)
    workflow.execute()
    return workflow


BULK_SINK = {"type": "metadata-rest", "config": {"bulk_sink_batch_size": 16}}


def test_a_run_writes_in_bulk_counts_right_and_a_rerun_writes_nothing(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, databricks: DatabricksEmulator
) -> None:
    config = make_config(databricks, openmetadata, sink=BULK_SINK)
    first = run(config).report
    kept = first.kept
    assert first.ok and first.changes == Counter({"created": kept}), first.failures
    assert bulk_calls(openmetadata) and set(bulk_calls(openmetadata)) == {200}
    assert len([p for p in openmetadata.pipelines.values() if not p.get("deleted")]) == kept
    assert first.lineage_edges > 0  # lineage found the ids of pipelines written in bulk
    openmetadata.reset_counters()
    second = run(config).report
    assert second.ok and second.changes == Counter({"unchanged": kept})
    assert bulk_calls(openmetadata) == [] and single_calls(openmetadata) == 0


def test_a_run_against_a_server_without_bulk_writes_every_pipeline_alone(
    workspace: Workspace, databricks: DatabricksEmulator
) -> None:
    with OpenMetadataEmulator(version="1.10.4") as old:
        old.seed_from_workspace(workspace)
        report = run(make_config(databricks, old, sink=BULK_SINK)).report
        assert report.ok and report.changes == Counter({"created": report.kept}), report.failures
        assert bulk_calls(old) == [] and single_calls(old) == report.kept


def test_without_a_batch_size_every_pipeline_gets_its_own_put(
    openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    report = run(config).report
    assert report.ok and bulk_calls(openmetadata) == [] and single_calls(openmetadata) == report.kept
