"""The engine over an in-memory source and sink: what one bad item costs, deletes, run detail by version.

No sockets: a fake source serves records (or undecodable items) the way ``DatabricksSource`` does, and a
memory sink records what would be written, so each rule of the run's policy is checked in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.config.models import WorkflowConfig
from core.databricks.decode import DecodeError, decode_job, decode_run
from core.databricks.records import JobRecord, RunRecord
from core.databricks.source import JobSummary
from core.engine import IngestionEngine
from core.sinks.base import Change, EntityRef, Sink

NOW_MS = 1_795_000_900_000


class FakeSource:
    """Jobs (raw JSON, decoded as the real source does) and runs per job; optional failure mid-listing."""

    host = "https://adb-1.azuredatabricks.net"

    def __init__(
        self, jobs: list[Any], runs: dict[str, list[dict]] | None = None, *, explode_after: int | None = None
    ) -> None:
        self.jobs = jobs
        self.runs = runs or {}
        self.explode_after = explode_after

    def iter_job_summaries(self, *, with_tasks: bool = True) -> Iterator[JobSummary]:
        for index, raw in enumerate(self.jobs):
            if self.explode_after is not None and index == self.explode_after:
                raise RuntimeError("a bug nobody expected")
            try:
                record, _ = decode_job(raw)
            except DecodeError as err:
                yield JobSummary(JobRecord(id=err.item or "?", name=err.item or "?"), True, err)
                continue
            yield JobSummary(record, complete=True)

    def iter_dlt_pipelines(self) -> Iterator[JobSummary]:
        return iter(())

    def get_job(self, job_id: str) -> JobRecord | None:
        raise AssertionError("every fake job is complete")

    def iter_runs(self, job_id: str, since_ms: int, problems: list[str] | None = None) -> Iterator[RunRecord]:
        for raw in self.runs.get(job_id, []):
            try:
                yield decode_run(raw)
            except DecodeError as err:
                if problems is not None:
                    problems.append(f"job {job_id}: {err.one_line()}")

    def iter_dlt_updates(
        self, pipeline_id: str, since_ms: int, problems: list[str] | None = None
    ) -> Iterator[RunRecord]:
        return iter(())

    def job_url(self, job_id: str) -> str:
        return f"{self.host}/jobs/{job_id}"

    def task_url(self, job_id: str, task_key: str) -> str:
        return f"{self.host}/jobs/{job_id}/tasks/{task_key}"

    def dlt_url(self, pipeline_id: str) -> str:
        return f"{self.host}/pipelines/{pipeline_id}"


class MemorySink(Sink):
    """A catalogue in memory: pipelines by name, statuses by pipeline, soft deletes."""

    kind = "memory"
    resolves_entities = False

    def __init__(self, version: str | None = "2.0.7", existing: list[str] = ()) -> None:  # type: ignore[assignment]
        self.version = version
        self.pipelines: dict[str, dict] = {name: {"name": name} for name in existing}
        self.statuses: dict[str, list[dict]] = {}
        self.deleted: list[str] = []
        self.written: list[str] = []

    def server_version(self) -> str | None:
        return self.version

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        self.pipelines[request["name"]] = request
        self.written.append(request["name"])
        fqn = f"{request['service']}.{request['name']}"
        return EntityRef(id=fqn, fqn=fqn, type="pipeline", name=request["name"]), "created"

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        self.statuses.setdefault(fqn, []).extend(statuses)
        return len(statuses)

    def iter_service_pipelines(self, service: str) -> Iterator[EntityRef]:
        for name in list(self.pipelines):
            if name not in self.deleted:
                yield EntityRef(id=name, fqn=f"{service}.{name}", type="pipeline", name=name)

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        self.deleted.append(ref.name or "")


def _config(**options: Any) -> WorkflowConfig:
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


def _job(job_id: int, name: str, **settings: Any) -> dict[str, Any]:
    tasks = settings.pop("tasks", [{"task_key": "t", "notebook_task": {"notebook_path": "/t"}}])
    return {"job_id": job_id, "settings": {"name": name, "tasks": tasks, **settings}}


def _run(source: FakeSource, sink: MemorySink, **options: Any) -> Any:
    return IngestionEngine(_config(**options), source, sink, workers=1, now_ms=NOW_MS).run()  # type: ignore[arg-type]


def test_an_unexpected_shape_in_one_job_costs_nothing_and_a_broken_job_only_itself() -> None:
    odd = _job(2, "odd_notifications")
    odd["settings"]["webhook_notifications"] = {"on_failure": [[{"id": "nested-one-level-deeper"}]]}
    broken = {"job_id": 3, "settings": {"name": "no_task_key", "tasks": [{"notebook_task": {}}]}}
    source = FakeSource([_job(1, "first"), odd, broken, _job(4, "after_the_broken_one")])
    sink = MemorySink(existing=["3"])
    report = _run(source, sink)
    assert sink.written == ["1", "2", "4"]  # the jobs after the broken one too
    assert [(f.pipeline, f.phase) for f in report.failures] == [("3", "pipeline")]
    assert "settings.tasks[0].task_key" in report.failures[0].reason
    assert report.listing_complete
    assert sink.deleted == []  # the broken job exists in the workspace: never deleted
    assert report.ok is False


def test_an_internal_error_mid_listing_still_returns_a_printable_report_and_deletes_nothing() -> None:
    sink = MemorySink(existing=["99"])
    report = _run(FakeSource([_job(1, "a"), _job(2, "b")], explode_after=1), sink)
    assert report.fatal is not None
    assert "internal error" in report.failures[-1].reason
    assert "RuntimeError: a bug nobody expected" in report.failures[-1].reason
    assert report.delete_skipped == "the listing did not complete"
    assert sink.deleted == []
    assert "FAILED" in report.render()


def test_pipelines_the_filter_now_excludes_are_soft_deleted_as_openmetadata_does() -> None:
    sink = MemorySink(existing=["1", "2", "77"])  # 77 is gone from the workspace
    report = _run(
        FakeSource([_job(1, "etl_orders"), _job(2, "hr_payroll")]),
        sink,
        pipelineFilterPattern={"excludes": [".*hr"]},
    )
    assert sorted(sink.deleted) == ["2", "77"]
    assert report.deleted == 2
    assert report.filtered == 1


def test_nothing_is_deleted_when_mark_deleted_is_off_or_the_listing_broke() -> None:
    sink = MemorySink(existing=["2"])
    _run(
        FakeSource([_job(1, "a"), _job(2, "hr")]),
        sink,
        pipelineFilterPattern={"excludes": ["hr"]},
        markDeletedPipelines=False,
    )
    assert sink.deleted == []
    _run(
        FakeSource([_job(1, "a"), _job(2, "hr")], explode_after=1),
        sink,
        pipelineFilterPattern={"excludes": ["hr"]},
    )
    assert sink.deleted == []


RUN_9001 = {
    "run_id": 9001,
    "start_time": 1_795_000_000_000,
    "end_time": 1_795_000_600_000,
    "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED"},
    "status": {
        "state": "TERMINATED",
        "termination_details": {"code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR"},
    },
    "job_parameters": [{"name": "env", "default": "prod"}],
    "tasks": [
        {
            "task_key": "t",
            "run_id": 9101,
            "start_time": 1_795_000_000_000,
            "end_time": 1_795_000_600_000,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "boom"},
        }
    ],
}


@pytest.mark.parametrize(
    ("version", "detail"), [("2.0.7", True), ("1.13.2", True), ("1.12.4", False), (None, True)]
)
def test_full_run_detail_only_for_servers_whose_schema_has_it(version: str | None, detail: bool) -> None:
    sink = MemorySink(version=version)
    _run(FakeSource([_job(5, "j")], {"5": [RUN_9001]}), sink)
    (status,) = sink.statuses["svc.5"]
    if detail:
        assert status["endTime"] == 1_795_000_600_000
        assert status["executionId"] == "9001"
        assert status["parameters"] == {"env": "prod"}
        assert status["error"] == {
            "errorType": "RUN_EXECUTION_ERROR",
            "errorMessage": "boom",
            "failedTask": "t",
        }
        assert status["taskStatus"][0]["taskId"] == "9101"
    else:
        assert set(status) == {"timestamp", "executionStatus", "taskStatus"}
        assert "taskId" not in status["taskStatus"][0]


def test_an_undecodable_run_costs_only_its_status_and_is_reported() -> None:
    sink = MemorySink()
    bad_run = {"run_id": 9002, "state": {"life_cycle_state": "TERMINATED"}}  # no start_time
    report = _run(FakeSource([_job(5, "j")], {"5": [RUN_9001, bad_run]}), sink)
    assert len(sink.statuses["svc.5"]) == 1
    assert any("run 9002: start_time is missing" in warning for warning in report.warnings)
    assert report.failures == []


def test_warnings_name_odd_fields_dangling_dependencies_and_raw_states() -> None:
    job = _job(
        6,
        "w",
        tags=["not", "an", "object"],
        tasks=[{"task_key": "a"}, {"task_key": "b", "depends_on": [{"task_key": "ghost"}]}],
    )
    run = {
        "run_id": 1,
        "start_time": 1_795_000_000_000,
        "end_time": 1_795_000_100_000,
        "state": {"life_cycle_state": "TERMINATED", "result_state": "Succes "},
        "tasks": [{"task_key": "a", "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}}],
    }
    sink = MemorySink()
    report = _run(FakeSource([job], {"6": [run]}), sink)
    text = "\n".join(report.warnings)
    assert "job 6: settings.tags is a list, expected an object; ignored" in text
    assert "'b' depends on 'ghost'" in text
    assert "result_state 'Succes '" in text
    assert sink.statuses["svc.6"][0]["executionStatus"] == "Successful"  # derived from its tasks, not Pending
