"""The seams: the protocols are what the engine and the workflow take, and one factory builds every source.

No sockets: a workflow runs end to end on the in-memory fakes, and the factory's client is replaced by a
recorder of what it was asked to build.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.config import WorkflowConfig, parse_workflow_config
from core.errors import ConnectionCheckError
from core.factory import Sources, create_source, preflight
from core.source import JobSource, LineageSource
from core.workflow import Workflow
from tests.engine.fakes import FakeLineage, FakeSource, MemorySink, job

HOST_FIELD = "source.serviceConnection.config.hostPort"


def _workflow(host: str = "https://adb-1.invalid", **options: Any) -> dict[str, Any]:
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "svc",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": host,
                    "token": "dapi-not-a-real-token",
                    "httpPath": "/sql/1.0/warehouses/abc123",
                    "connectionTimeout": 40,
                }
            },
            "sourceConfig": {"config": {"statusLookbackDays": 0, **options}},
        },
        "sink": {"type": "console"},
    }


def test_the_fakes_and_the_databricks_classes_implement_the_protocols() -> None:
    from core.databricks.lineage import LineageReader
    from core.databricks.source import DatabricksSource

    assert isinstance(FakeSource([]), JobSource) and isinstance(FakeLineage([]), LineageSource)
    assert isinstance(DatabricksSource(client=None), JobSource)  # type: ignore[arg-type]
    assert isinstance(LineageReader(client=None, warehouse_id="w"), LineageSource)  # type: ignore[arg-type]


def test_a_workflow_runs_on_a_given_source_and_sink_without_building_or_checking_anything() -> None:
    """The host does not resolve: had the workflow run its preflight or built a client, it would fail."""
    sink = MemorySink()
    source = FakeSource([job(1, "a"), job(2, "b")])
    workflow = Workflow.create(_workflow(includeLineage=True), source=source, sink=sink, workers=2)
    report = workflow.execute()
    assert report.ok and sorted(sink.written) == ["1", "2"]
    workflow.raise_from_status()


class _Recorder:
    """Stands in for ``build_workspace_client``: records its arguments, returns a client-shaped object."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, connection: Any, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return object()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    recorded = _Recorder()
    monkeypatch.setattr("core.databricks.client.build_workspace_client", recorded)
    return recorded


def _config(**options: Any) -> WorkflowConfig:
    return parse_workflow_config(_workflow(**options))


def test_the_ingestion_gets_the_clients_defaults_a_pool_per_worker_and_lineage_when_asked(
    recorder: _Recorder,
) -> None:
    sources = create_source(_config(includeLineage=True), workers=8, preflight_check=False)
    assert recorder.calls == [{"retry_timeout_seconds": None, "http_timeout_seconds": None, "pool_size": 16}]
    assert sources.lineage is not None
    assert (sources.lineage.warehouse_id, sources.lineage.wait_budget_s) == ("abc123", 200.0)  # 5 x 40 s
    without = create_source(_config(includeLineage=False), workers=1, preflight_check=False)
    assert without.lineage is None and recorder.calls[-1]["pool_size"] == 4


def test_a_connection_test_bounds_every_request_and_checks_the_warehouse_even_without_lineage(
    recorder: _Recorder,
) -> None:
    sources = create_source(_config(includeLineage=False), timeout_s=5, lineage=True, preflight_check=False)
    assert recorder.calls == [{"retry_timeout_seconds": 5, "http_timeout_seconds": 5, "pool_size": 16}]
    assert isinstance(sources, Sources) and sources.lineage is not None
    assert sources.lineage.wait_budget_s == 5


def test_a_preview_never_builds_a_lineage_reader(recorder: _Recorder) -> None:
    assert create_source(_config(includeLineage=True), lineage=False, preflight_check=False).lineage is None


def test_the_preflight_check_fails_in_seconds_naming_the_field() -> None:
    config = parse_workflow_config(_workflow(host="http://127.0.0.1:9"))  # the discard port: closed
    with pytest.raises(ConnectionCheckError) as info:
        create_source(config)
    assert info.value.field == HOST_FIELD
    with pytest.raises(ConnectionCheckError):
        preflight(config, sink=False, timeout_s=1)
