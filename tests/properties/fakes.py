"""An in-memory Databricks workspace behind the two things ``DatabricksSource`` uses of a client.

``DatabricksSource`` reads through ``core.databricks.retry.pages/bodies``, which call
``client.api_client.do("GET", path, query=..., headers=...)`` and read ``client.config.host`` and
``client.config.workspace_id``. :func:`fake_client` gives exactly that, serving raw JSON items from
dicts (which may be malformed on purpose), with the paging rules of the Jobs API 2.2 and Pipelines API:

- ``/api/2.2/jobs/list``: pages of ``limit`` (at most 100), ``next_page_token``, ``expand_tasks`` honoured;
- ``/api/2.2/jobs/get``: one job by ``job_id`` (``ResourceDoesNotExist`` when there is none);
- ``/api/2.2/jobs/runs/list``: runs of ``job_id`` started at or after ``start_time_from``, newest first,
  pages of ``limit`` (at most 25);
- ``/api/2.2/jobs/runs/get``: one run by ``run_id``;
- ``/api/2.0/pipelines`` and ``/api/2.0/pipelines/{id}/updates``: pages of ``max_results``, updates newest
  first.

Also here: the engine wiring (config, sinks) the property tests share. Every answer is a deep copy, so
the engine can never change the workspace between two runs.
"""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from databricks.sdk.errors import ResourceDoesNotExist

from core.config import WorkflowConfig, parse_workflow_config
from core.databricks.decode import as_int
from core.databricks.source import DatabricksSource
from core.engine import IngestionEngine
from core.report import RunReport
from core.sinks.base import Change, EntityRef, Sink
from core.sinks.offline import JsonLinesSink

__all__ = [
    "HOST",
    "NOW_MS",
    "SERVICE",
    "FakeApiClient",
    "FakeWorkspace",
    "MemoryCatalogue",
    "MemoryJsonSink",
    "fake_client",
    "make_config",
    "run_engine",
]

HOST = "https://adb-1234567890123456.7.azuredatabricks.net"
WORKSPACE_ID = "1234567890123456"
SERVICE = "dbx_props"
NOW_MS = 1_750_000_000_000  # a fixed "now", so lookback windows are reproducible
DAY_MS = 86_400_000


@dataclass
class FakeWorkspace:
    """Raw JSON items, as a server would hold them (malformed ones included)."""

    jobs: list[Any] = field(default_factory=list)  # in listing order
    runs: dict[int, list[Any]] = field(default_factory=dict)  # job id -> runs (any order)
    pipelines: list[Any] = field(default_factory=list)
    updates: dict[str, list[Any]] = field(default_factory=dict)  # pipeline id -> updates
    #: a server may send fewer items than ``limit``: at most this many per page (None: ``limit``)
    page_cap: int | None = None


def _page(
    items: list[Any], query: dict[str, Any], size_key: str, maximum: int, items_key: str, cap: int | None
) -> dict:
    size = max(1, min(int(query.get(size_key) or maximum), maximum, cap or maximum))
    offset = int(str(query.get("page_token") or "offset-0").rsplit("-", 1)[1])
    chunk = items[offset : offset + size]
    body: dict[str, Any] = {}
    if chunk:  # the API leaves the array out when there is nothing
        body[items_key] = chunk
    if offset + size < len(items):
        body["next_page_token"] = f"offset-{offset + size}"
        body["has_more"] = True
    return body


def _newest_first(items: list[Any], key: str) -> list[Any]:
    """Newest first by ``key``; items whose time cannot be read go last, in their own order."""

    def start(item: Any) -> float:
        value = as_int(item.get(key)) if isinstance(item, dict) else None
        return float("-inf") if value is None else float(value)

    return sorted(items, key=start, reverse=True)


class FakeApiClient:
    """``ApiClient.do`` over a :class:`FakeWorkspace`; records every call."""

    def __init__(self, workspace: FakeWorkspace) -> None:
        self.workspace = workspace
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def do(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        **_: Any,
    ) -> Any:
        query = dict(query or {})
        with self._lock:
            self.calls.append((method, path, query))
        assert method == "GET", f"the source only reads, got {method} {path}"
        return copy.deepcopy(self._answer(path, query))

    def _answer(self, path: str, query: dict[str, Any]) -> Any:
        ws = self.workspace
        if path == "/api/2.2/jobs/list":
            page = _page(ws.jobs, query, "limit", 100, "jobs", ws.page_cap)
            if not query.get("expand_tasks"):
                for job in page.get("jobs", []):
                    settings = job.get("settings") if isinstance(job, dict) else None
                    if isinstance(settings, dict):
                        settings.pop("tasks", None)
            return page
        if path == "/api/2.2/jobs/get":
            wanted = as_int(query.get("job_id"))
            for job in ws.jobs:
                if isinstance(job, dict) and as_int(job.get("job_id")) == wanted:
                    return job
            raise ResourceDoesNotExist(f"Job {wanted} does not exist.")
        if path == "/api/2.2/jobs/runs/list":
            since = as_int(query.get("start_time_from")) or 0
            runs = [
                run
                for run in ws.runs.get(as_int(query.get("job_id")) or -1, [])
                if not isinstance(run, dict)
                or as_int(run.get("start_time")) is None
                or as_int(run["start_time"]) >= since  # type: ignore[operator]
            ]
            return _page(_newest_first(runs, "start_time"), query, "limit", 25, "runs", ws.page_cap)
        if path == "/api/2.2/jobs/runs/get":
            wanted = as_int(query.get("run_id"))
            for runs in ws.runs.values():
                for run in runs:
                    if isinstance(run, dict) and as_int(run.get("run_id")) == wanted:
                        return run
            raise ResourceDoesNotExist(f"Run {wanted} does not exist.")
        if path == "/api/2.0/pipelines":
            return _page(ws.pipelines, query, "max_results", 100, "statuses", ws.page_cap)
        if path.startswith("/api/2.0/pipelines/") and path.endswith("/updates"):
            pipeline_id = path[len("/api/2.0/pipelines/") : -len("/updates")]
            updates = _newest_first(ws.updates.get(pipeline_id, []), "creation_time")
            return _page(updates, query, "max_results", 100, "updates", ws.page_cap)
        raise AssertionError(f"the fake workspace does not serve {path}")


def fake_client(workspace: FakeWorkspace) -> Any:
    """A stand-in for ``WorkspaceClient`` with only ``config`` and ``api_client.do``."""
    return SimpleNamespace(
        config=SimpleNamespace(host=HOST, workspace_id=WORKSPACE_ID),
        api_client=FakeApiClient(workspace),
    )


# -- the engine's other end ------------------------------------------------------------------------------


def make_config(*, lookback_days: int = 7) -> WorkflowConfig:
    """A workflow config for the fake workspace (file sink; lineage off; nothing is read from disk)."""
    return parse_workflow_config(
        {
            "source": {
                "type": "databrickspipeline",
                "serviceName": SERVICE,
                "serviceConnection": {
                    "config": {
                        "type": "DatabricksPipeline",
                        "hostPort": HOST,
                        "authType": {"token": "dapi-x"},
                    }
                },
                "sourceConfig": {
                    "config": {
                        "type": "PipelineMetadata",
                        "statusLookbackDays": lookback_days,
                        "includeLineage": False,
                    }
                },
            },
            "sink": {"type": "file", "config": {"filename": "unused.jsonl"}},
            "workflowConfig": {"loggerLevel": "WARN"},
        }
    )


class MemoryJsonSink(JsonLinesSink):
    """The file sink's JSON lines, kept in memory."""

    kind = "file"

    def __init__(self) -> None:
        super().__init__(io.StringIO())

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def pipelines(self) -> dict[str, dict]:
        """Pipeline name -> the request written (each name must be written once)."""
        written: dict[str, dict] = {}
        for record in self.records():
            if record["kind"] == "pipeline":
                name = record["request"]["name"]
                assert name not in written, f"pipeline {name!r} written twice"
                written[name] = record["request"]
        return written

    def statuses(self) -> dict[str, list[dict]]:
        """Pipeline fqn -> the status bodies written for it."""
        written: dict[str, list[dict]] = {}
        for record in self.records():
            if record["kind"] == "pipelineStatus":
                written.setdefault(record["pipeline"], []).extend(record["statuses"])
        return written


class MemoryCatalogue(Sink):
    """An OpenMetadata-like sink in memory: it stores each pipeline with its ``sourceHash`` (and lists
    them back), keys statuses by timestamp as OpenMetadata does, and counts the writes."""

    kind = "memory"
    resolves_entities = False

    def __init__(self) -> None:
        self.pipelines: dict[str, dict] = {}
        self.statuses: dict[str, dict[int, dict]] = {}
        self.pipeline_puts = 0
        self.status_puts: list[tuple[str, list[dict]]] = []
        self._lock = threading.Lock()

    def server_version(self) -> str | None:
        return "1.13.0"

    def _ref(self, request: dict) -> EntityRef:
        fqn = f"{request['service']}.{request['name']}"
        return EntityRef(
            id=fqn, fqn=fqn, type="pipeline", name=request["name"], source_hash=request.get("sourceHash")
        )

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        with self._lock:
            self.pipeline_puts += 1
            change: Change = "updated" if request["name"] in self.pipelines else "created"
            self.pipelines[request["name"]] = copy.deepcopy(request)
        return self._ref(request), change

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        with self._lock:
            self.status_puts.append((fqn, copy.deepcopy(statuses)))
            stored = self.statuses.setdefault(fqn, {})
            for status in statuses:
                stored[status["timestamp"]] = copy.deepcopy(status)
        return len(statuses)

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        with self._lock:
            refs = [
                self._ref(request) for request in self.pipelines.values() if request["service"] == service
            ]
        return iter(refs)

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        raise AssertionError("lineage is off in these tests")


def run_engine(
    workspace: FakeWorkspace,
    sink: Sink,
    *,
    config: WorkflowConfig | None = None,
    workers: int = 2,
) -> RunReport:
    """One engine run over the fake workspace at :data:`NOW_MS`."""
    source = DatabricksSource(fake_client(workspace), budget_s=5.0)
    engine = IngestionEngine(config or make_config(), source, sink, workers=workers, now_ms=NOW_MS)
    return engine.run()
