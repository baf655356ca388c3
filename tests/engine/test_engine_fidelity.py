"""The engine over an in-memory source and sink: what one bad item costs, deletes, run detail by version.

No sockets: a fake source serves records (or undecodable items) the way ``DatabricksSource`` does, and a
memory sink records what would be written (both in ``tests/engine/fakes.py``), so each rule is checked in
milliseconds. The failure policy, cell by cell, is in ``test_failure_policy.py``.
"""

from __future__ import annotations

import pytest

from tests.engine.fakes import FakeSource, MemorySink, job, run_engine


def test_an_unexpected_shape_in_one_job_costs_nothing_and_a_broken_job_only_itself() -> None:
    odd = job(2, "odd_notifications")
    odd["settings"]["webhook_notifications"] = {"on_failure": [[{"id": "nested-one-level-deeper"}]]}
    broken = {"job_id": 3, "settings": {"name": "no_task_key", "tasks": [{"notebook_task": {}}]}}
    source = FakeSource([job(1, "first"), odd, broken, job(4, "after_the_broken_one")])
    sink = MemorySink(existing=["3"])
    report = run_engine(source, sink)
    assert sink.written == ["1", "2", "4"]  # the jobs after the broken one too
    assert [(f.pipeline, f.phase) for f in report.failures] == [("3", "pipeline")]
    assert "settings.tasks[0].task_key" in report.failures[0].reason
    assert report.listing_complete
    assert sink.deleted == []  # the broken job exists in the workspace: never deleted
    assert report.ok is False


def test_an_internal_error_mid_listing_still_returns_a_printable_report_and_deletes_nothing() -> None:
    sink = MemorySink(existing=["99"])
    report = run_engine(FakeSource([job(1, "a"), job(2, "b")], explode_after=1), sink)
    assert report.fatal is not None
    assert "internal error" in report.failures[-1].reason
    assert "RuntimeError: a bug nobody expected" in report.failures[-1].reason
    assert report.delete_skipped == "the listing did not complete"
    assert sink.deleted == []
    assert "FAILED" in report.render()


def test_pipelines_the_filter_now_excludes_are_soft_deleted_as_openmetadata_does() -> None:
    sink = MemorySink(existing=["1", "2", "77"])  # 77 is gone from the workspace
    report = run_engine(
        FakeSource([job(1, "etl_orders"), job(2, "hr_payroll")]),
        sink,
        pipelineFilterPattern={"excludes": [".*hr"]},
    )
    assert sorted(sink.deleted) == ["2", "77"]
    assert report.deleted == 2
    assert report.filtered == 1


def test_nothing_is_deleted_when_mark_deleted_is_off_or_the_listing_broke() -> None:
    sink = MemorySink(existing=["2"])
    run_engine(
        FakeSource([job(1, "a"), job(2, "hr")]),
        sink,
        pipelineFilterPattern={"excludes": ["hr"]},
        markDeletedPipelines=False,
    )
    assert sink.deleted == []
    run_engine(
        FakeSource([job(1, "a"), job(2, "hr")], explode_after=1),
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
    run_engine(FakeSource([job(5, "j")], {"5": [RUN_9001]}), sink)
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
    report = run_engine(FakeSource([job(5, "j")], {"5": [RUN_9001, bad_run]}), sink)
    assert len(sink.statuses["svc.5"]) == 1
    assert any("run 9002: start_time is missing" in warning for warning in report.warnings)
    assert report.failures == []


def test_warnings_name_odd_fields_dangling_dependencies_and_raw_states() -> None:
    odd = job(
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
    report = run_engine(FakeSource([odd], {"6": [run]}), sink)
    text = "\n".join(report.warnings)
    assert "job 6: settings.tags is a list, expected an object; ignored" in text
    assert "'b' depends on 'ghost'" in text
    assert "result_state 'Succes '" in text
    assert sink.statuses["svc.6"][0]["executionStatus"] == "Successful"  # derived from its tasks, not Pending
