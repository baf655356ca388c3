"""An in-memory :class:`core.source.JobSource`, lineage source and sink for engine tests: no sockets.

``FakeSource`` serves jobs as raw JSON, decoded as ``DatabricksSource`` decodes them (so an undecodable
item becomes a summary with ``problem``), and runs per job. ``MemorySink`` records what would be written.
Both take failures to inject, keyed by the call they replace, so every cell of
:data:`core.errors.FAILURE_POLICY` can be provoked where it belongs:

- ``FakeSource(fail={"listing": err}, explode_after=1)``: the job listing raises after one job;
- ``FakeSource(fail={"get_job:2": err}, incomplete={"2"})``: completing job 2 raises;
- ``FakeSource(fail={"runs:2": err})``: listing the runs of job 2 raises;
- ``FakeLineage(edges, fail_after=1, error=err)``: the lineage query raises after one edge;
- ``MemorySink(fail={"ensure_service": err})``, ``{"put_pipeline:2": err}``, ``{"put_lineage:2": err}``
  (the edge of pipeline 2), ``{"iter_service_pipelines#2": err}`` (the second listing: cleanup's),
  ``{"soft_delete:77": err}``.

``on_call`` (both) is called with each call's key before it runs: a test can stop the engine there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from core.config.models import WorkflowConfig
from core.databricks.decode import decode_job, decode_run
from core.databricks.records import JobRecord, RunRecord
from core.engine import IngestionEngine
from core.errors import DecodeError
from core.report import RunReport
from core.sinks.base import Change, EntityRef, Sink
from core.source import JobSummary, LineageEdge

__all__ = ["NOW_MS", "FakeLineage", "FakeSource", "MemorySink", "config", "job", "run_engine"]

NOW_MS = 1_795_000_900_000

Hook = Callable[[str], None]


class FakeSource:
    """Jobs (raw JSON, decoded as the real source does), runs per job, DLT pipelines; failures on demand."""

    host = "https://adb-1.azuredatabricks.net"

    def __init__(
        self,
        jobs: list[Any],
        runs: dict[str, list[dict]] | None = None,
        *,
        explode_after: int | None = None,
        fail: dict[str, BaseException] | None = None,
        incomplete: Iterable[str] = (),
        dlt: Iterable[JobRecord] = (),
        on_call: Hook | None = None,
    ) -> None:
        """``explode_after``: the listing raises ``fail["listing"]`` (default: a RuntimeError, a bug) before
        the job at that index; ``incomplete``: ids listed with ``complete=False`` (completed by get_job)."""
        self.jobs = jobs
        self.runs = runs or {}
        self.explode_after = explode_after
        self.fail = fail or {}
        self.incomplete = set(incomplete)
        self.dlt = list(dlt)
        self.on_call = on_call

    def _call(self, key: str) -> None:
        if self.on_call is not None:
            self.on_call(key)
        if key in self.fail:
            raise self.fail[key]

    def iter_job_summaries(self, *, with_tasks: bool = True) -> Iterator[JobSummary]:
        for index, raw in enumerate(self.jobs):
            if self.explode_after is not None and index == self.explode_after:
                raise self.fail.get("listing", RuntimeError("a bug nobody expected"))
            try:
                record, _ = decode_job(raw)
            except DecodeError as err:
                yield JobSummary(JobRecord(id=err.item or "?", name=err.item or "?"), True, err)
                continue
            yield JobSummary(record, complete=record.id not in self.incomplete)

    def iter_dlt_pipelines(self) -> Iterator[JobSummary]:
        for record in self.dlt:
            yield JobSummary(record, complete=True)

    def get_job(self, job_id: str) -> JobRecord | None:
        self._call(f"get_job:{job_id}")
        for raw in self.jobs:
            record, _ = decode_job(raw)
            if record.id == job_id:
                return record
        return None

    def iter_runs(self, job_id: str, since_ms: int, problems: list[str] | None = None) -> Iterator[RunRecord]:
        self._call(f"runs:{job_id}")
        for raw in self.runs.get(job_id, []):
            try:
                yield decode_run(raw)
            except DecodeError as err:
                if problems is not None:
                    problems.append(f"job {job_id}: {err.one_line()}")

    def iter_dlt_updates(
        self, pipeline_id: str, since_ms: int, problems: list[str] | None = None
    ) -> Iterator[RunRecord]:
        self._call(f"updates:{pipeline_id}")
        return iter(())

    def job_url(self, job_id: str) -> str:
        return f"{self.host}/jobs/{job_id}"

    def task_url(self, job_id: str, task_key: str) -> str:
        return f"{self.host}/jobs/{job_id}/tasks/{task_key}"

    def dlt_url(self, pipeline_id: str) -> str:
        return f"{self.host}/pipelines/{pipeline_id}"


class FakeLineage:
    """A :class:`core.source.LineageSource` serving fixed edges; raises ``error`` after ``fail_after`` edges."""

    def __init__(
        self, edges: list[LineageEdge], *, fail_after: int | None = None, error: BaseException | None = None
    ) -> None:
        self.edge_list = edges
        self.fail_after = fail_after
        self.error = error
        self.asked: list[str] = []

    def edges(self, entity_ids: Iterable[str], today: date | None = None) -> Iterator[LineageEdge]:
        self.asked = list(entity_ids)
        for index, edge in enumerate(self.edge_list):
            if self.fail_after is not None and index == self.fail_after:
                assert self.error is not None
                raise self.error
            yield edge


class MemorySink(Sink):
    """A catalogue in memory: pipelines by name, statuses by pipeline, lineage edges, soft deletes."""

    kind = "memory"
    resolves_entities = False

    def __init__(
        self,
        version: str | None = "2.0.7",
        existing: Iterable[str] = (),
        *,
        fail: dict[str, BaseException] | None = None,
        on_call: Hook | None = None,
    ) -> None:
        self.version = version
        self.pipelines: dict[str, dict] = {name: {"name": name} for name in existing}
        self.statuses: dict[str, list[dict]] = {}
        self.deleted: list[str] = []
        self.written: list[str] = []
        self.edges: list[tuple[str, str, str]] = []
        self.fail = fail or {}
        self.on_call = on_call
        self._listings = 0
        self._lock = threading.Lock()

    def _call(self, key: str) -> None:
        if self.on_call is not None:
            self.on_call(key)
        if key in self.fail:
            raise self.fail[key]

    def server_version(self) -> str | None:
        return self.version

    def ensure_service(self, request: dict) -> EntityRef:
        self._call("ensure_service")
        return super().ensure_service(request)

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        self._call(f"put_pipeline:{request['name']}")
        with self._lock:
            self.pipelines[request["name"]] = request
            self.written.append(request["name"])
        fqn = f"{request['service']}.{request['name']}"
        return EntityRef(id=fqn, fqn=fqn, type="pipeline", name=request["name"]), "created"

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        with self._lock:
            self.statuses.setdefault(fqn, []).extend(statuses)
        return len(statuses)

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        self._call(f"put_lineage:{pipeline.name}")
        with self._lock:
            self.edges.append((source.fqn, target.fqn, pipeline.name or ""))

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        self._listings += 1
        self._call(f"iter_service_pipelines#{self._listings}")
        for name in list(self.pipelines):
            if name not in self.deleted:
                yield EntityRef(id=name, fqn=f"{service}.{name}", type="pipeline", name=name)

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        self._call(f"soft_delete:{ref.name}")
        self.deleted.append(ref.name or "")


def config(**options: Any) -> WorkflowConfig:
    """A console-sink workflow config for service ``svc``; ``options`` go into ``sourceConfig.config``."""
    return WorkflowConfig.model_validate(
        {
            "source": {
                "type": "databrickspipeline",
                "serviceName": "svc",
                "serviceConnection": {
                    "config": {
                        "type": "DatabricksPipeline",
                        "hostPort": "https://adb-1.azuredatabricks.net",
                        "token": "t",
                    }
                },
                "sourceConfig": {"config": {"includeLineage": False, "statusLookbackDays": 3650, **options}},
            },
            "sink": {"type": "console"},
        }
    )


def job(job_id: int, name: str, **settings: Any) -> dict[str, Any]:
    """A job as ``jobs/list`` returns it, with one notebook task unless ``tasks`` is given."""
    tasks = settings.pop("tasks", [{"task_key": "t", "notebook_task": {"notebook_path": "/t"}}])
    return {"job_id": job_id, "settings": {"name": name, "tasks": tasks, **settings}}


def run_engine(
    source: FakeSource,
    sink: MemorySink,
    *,
    lineage: FakeLineage | None = None,
    workers: int = 1,
    engine_hook: Callable[[IngestionEngine], None] | None = None,
    **options: Any,
) -> RunReport:
    """One engine run over the fakes (``options`` into ``sourceConfig.config``); ``engine_hook`` sees the
    engine before it runs (to wire ``stop``)."""
    engine = IngestionEngine(config(**options), source, sink, lineage=lineage, workers=workers, now_ms=NOW_MS)
    if engine_hook is not None:
        engine_hook(engine)
    return engine.run()
